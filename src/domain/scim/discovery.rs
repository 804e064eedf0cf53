//! What `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` publish (RFC 7643 §5–7):
//! exactly the attributes we store and return, so a client (or a conformance tester) never
//! writes something that is silently dropped.
use serde_json::{Value, json};

use super::{DEFAULT_COUNT, ENTERPRISE_SCHEMA, GROUP_SCHEMA, MAX_RESULTS, USER_SCHEMA};

const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// One attribute definition, with RFC 7643 §7's defaults spelled out.
struct Attr {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    case_exact: bool,
    mutability: &'static str,
    returned: &'static str,
    uniqueness: &'static str,
    canonical: &'static [&'static str],
    references: &'static [&'static str],
    description: &'static str,
    sub: Vec<Attr>,
}

fn attr(name: &'static str, kind: &'static str, description: &'static str) -> Attr {
    Attr {
        name,
        kind,
        multi: false,
        required: false,
        case_exact: false,
        mutability: "readWrite",
        returned: "default",
        uniqueness: "none",
        canonical: &[],
        references: &[],
        description,
        sub: Vec::new(),
    }
}

impl Attr {
    fn multi(mut self) -> Self {
        self.multi = true;
        self
    }
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    fn mutability(mut self, m: &'static str) -> Self {
        self.mutability = m;
        self
    }
    fn returned(mut self, r: &'static str) -> Self {
        self.returned = r;
        self
    }
    fn unique(mut self) -> Self {
        self.uniqueness = "server";
        self
    }
    fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical = values;
        self
    }
    fn references(mut self, types: &'static [&'static str]) -> Self {
        self.references = types;
        self
    }
    fn sub(mut self, sub: Vec<Attr>) -> Self {
        self.sub = sub;
        self
    }

    fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.kind,
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        });
        if !self.canonical.is_empty() {
            v["canonicalValues"] = json!(self.canonical);
        }
        if !self.references.is_empty() {
            v["referenceTypes"] = json!(self.references);
        }
        if !self.sub.is_empty() {
            v["subAttributes"] = self.sub.iter().map(Attr::to_json).collect();
        }
        v
    }
}

fn contactable(kinds: &'static [&'static str], value: Attr) -> Vec<Attr> {
    vec![
        value,
        attr("type", "string", "A label: work, home, other...").canonical(kinds),
        attr(
            "primary",
            "boolean",
            "The preferred value; at most one is primary.",
        ),
    ]
}

fn user_attributes() -> Vec<Attr> {
    vec![
        attr("userName", "string", "Unique per identity provider, ignoring case; the subject of the user's SSO identity.")
            .required()
            .unique(),
        attr("name", "complex", "The user's name.").sub(vec![
            attr("givenName", "string", "The contact's first name."),
            attr("familyName", "string", "The contact's last name."),
        ]),
        attr("displayName", "string", "The name to display."),
        attr("title", "string", "The job title."),
        attr("emails", "complex", "Email addresses; the primary one (else the work one, else the first) is the contact's email.")
            .multi()
            .sub(contactable(
                &["work", "home", "other"],
                // The contact's email is unique across contacts (case-insensitive, and no
                // look-alike of another's): a duplicate is refused with 409 uniqueness.
                attr("value", "string", "An email address, name@host; the contact's email is unique across contacts, ignoring case.")
                    .unique(),
            )),
        attr("phoneNumbers", "complex", "Phone numbers.")
            .multi()
            .sub(contactable(
                &["work", "home", "mobile", "fax", "pager", "other"],
                attr("value", "string", "A phone number."),
            )),
        attr("active", "boolean", "Whether the contact may sign in; a user sent without it is active.")
            .required(),
        attr("password", "string", "Stored as an argon2id hash (a password credential); never returned.")
            .mutability("writeOnly")
            .returned("never")
            .exact(),
        attr("groups", "complex", "The groups the user is a member of.")
            .multi()
            .mutability("readOnly")
            .sub(vec![
                attr("value", "string", "The group's id.").mutability("readOnly").exact(),
                attr("$ref", "reference", "The group's URI.")
                    .mutability("readOnly")
                    .exact()
                    .references(&["Group"]),
                attr("display", "string", "The group's displayName.").mutability("readOnly"),
                attr("type", "string", "Always direct: groups do not nest.")
                    .mutability("readOnly")
                    .canonical(&["direct"]),
            ]),
    ]
}

fn enterprise_attributes() -> Vec<Attr> {
    vec![
        attr("employeeNumber", "string", "The employee number."),
        attr(
            "organization",
            "string",
            "The organisation; a new contact's company match compares it with company names.",
        ),
        attr("department", "string", "The department."),
        attr("manager", "complex", "The user's manager.").sub(vec![
            attr(
                "value",
                "string",
                "The manager's id at the identity provider.",
            )
            .exact(),
        ]),
    ]
}

fn group_attributes() -> Vec<Attr> {
    vec![
        attr("displayName", "string", "Unique per configuration, ignoring case; when it is a provider role of the configuration's roleMappings, members get the mapped role.")
            .required()
            .unique(),
        attr("members", "complex", "The group's members: users of the same configuration (others are ignored). Returned only when `attributes` names it: a group may have 100,000.")
            .multi()
            .returned("request")
            .sub(vec![
                attr("value", "string", "The member's id.").exact().mutability("immutable"),
                attr("$ref", "reference", "The member's URI.")
                    .exact()
                    .mutability("immutable")
                    .references(&["User"]),
                attr("type", "string", "Always User: groups do not nest.")
                    .mutability("immutable")
                    .canonical(&["User"]),
            ]),
    ]
}

fn meta(resource_type: &str, location: String) -> Value {
    json!({ "resourceType": resource_type, "location": location })
}

/// A schema we publish: (id, name, description, attributes).
type Published = (&'static str, &'static str, &'static str, fn() -> Vec<Attr>);

const SCHEMAS: [Published; 3] = [
    (
        USER_SCHEMA,
        "User",
        "A learner (a contact)",
        user_attributes,
    ),
    (
        ENTERPRISE_SCHEMA,
        "EnterpriseUser",
        "Enterprise attributes of a learner",
        enterprise_attributes,
    ),
    (
        GROUP_SCHEMA,
        "Group",
        "A group of learners of one configuration",
        group_attributes,
    ),
];

/// The schema with this id, as `/Schemas/{id}` returns it.
pub fn schema(base: &str, id: &str) -> Option<Value> {
    let (urn, name, description, attributes) = SCHEMAS
        .into_iter()
        .find(|(urn, ..)| urn.eq_ignore_ascii_case(id))?;
    Some(json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": urn,
        "name": name,
        "description": description,
        "attributes": attributes().iter().map(Attr::to_json).collect::<Vec<_>>(),
        "meta": meta("Schema", format!("{base}/Schemas/{urn}")),
    }))
}

pub fn schemas(base: &str) -> Vec<Value> {
    SCHEMAS
        .iter()
        .filter_map(|(id, ..)| schema(base, id))
        .collect()
}

/// The resource type with this id, as `/ResourceTypes/{id}` returns it.
pub fn resource_type(base: &str, id: &str) -> Option<Value> {
    let (name, endpoint, description, schema) = if id.eq_ignore_ascii_case("User") {
        (
            "User",
            "/Users",
            "Learners: each User is a contact",
            USER_SCHEMA,
        )
    } else if id.eq_ignore_ascii_case("Group") {
        (
            "Group",
            "/Groups",
            "Groups of learners; mapped to platform roles by the configuration's roleMappings",
            GROUP_SCHEMA,
        )
    } else {
        return None;
    };
    let mut found = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "description": description,
        "schema": schema,
    });
    if schema == USER_SCHEMA {
        found["schemaExtensions"] = json!([{ "schema": ENTERPRISE_SCHEMA, "required": false }]);
    }
    found["meta"] = meta("ResourceType", format!("{base}/ResourceTypes/{name}"));
    Some(found)
}

pub fn resource_types(base: &str) -> Vec<Value> {
    ["User", "Group"]
        .iter()
        .filter_map(|id| resource_type(base, id))
        .collect()
}

/// `ServiceProviderConfig.pagination.cursorTimeout`, in seconds: cursors never expire.
const CURSOR_TIMEOUT: i64 = i32::MAX as i64;

/// What the service supports (RFC 7643 §5, RFC 9865 §4).
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [CONFIG_SCHEMA],
        "documentationUri": "https://github.com/autoprov/autoprov#scim",
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": true },
        "sort": { "supported": false },
        "etag": { "supported": true },
        // RFC 9865 §4. Index stays the default so clients written before cursors page as they
        // always did (§2.4). A cursor is a keyset position kept by nobody, so it never
        // expires; `cursorTimeout` is a minimum, and leaving it out may also be read as
        // "unknown", so the longest time a 32-bit client can hold says "indefinitely".
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": DEFAULT_COUNT,
            "maxPageSize": MAX_RESULTS,
            "cursorTimeout": CURSOR_TIMEOUT,
        },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A SCIM API token (apiTokens.create with role scim), sent as Authorization: Bearer <secret>",
            "primary": true,
        }],
        "meta": meta("ServiceProviderConfig", format!("{base}/ServiceProviderConfig")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_user_attribute_is_one_the_user_model_reads() {
        // Render a user with every attribute set and check the published names cover it.
        let user = super::super::user::parse(&json!({
            "userName": "u@x.org",
            "name": {"givenName": "G", "familyName": "F"},
            "displayName": "D", "title": "T",
            "emails": [{"value": "u@x.org", "type": "work", "primary": true}],
            "phoneNumbers": [{"value": "1", "type": "work", "primary": true}],
            "active": true,
            ENTERPRISE_SCHEMA: {"employeeNumber": "1", "organization": "O", "department": "D", "manager": {"value": "m"}}
        }))
        .unwrap();
        let meta = super::super::user::Meta {
            resource_type: "User",
            created: chrono::Utc::now(),
            last_modified: chrono::Utc::now(),
            location: "x".into(),
        };
        let doc = super::super::user::render(uuid::Uuid::nil(), &user, &[], "b", &meta);
        let published: Vec<String> = user_attributes()
            .iter()
            .map(|a| a.name.to_owned())
            .collect();
        for key in doc.as_object().unwrap().keys() {
            let common = ["schemas", "id", "externalId", "meta", ENTERPRISE_SCHEMA];
            assert!(
                common.contains(&key.as_str()) || published.contains(key),
                "{key} is returned but not published"
            );
        }
        let enterprise: Vec<&str> = enterprise_attributes().iter().map(|a| a.name).collect();
        for key in doc[ENTERPRISE_SCHEMA].as_object().unwrap().keys() {
            assert!(enterprise.contains(&key.as_str()), "{key}");
        }
    }

    #[test]
    fn lookups_ignore_case_and_refuse_the_unknown() {
        assert!(schema("b", &USER_SCHEMA.to_uppercase()).is_some());
        assert!(schema("b", "urn:nope").is_none());
        assert!(resource_type("b", "group").is_some());
        assert!(resource_type("b", "Device").is_none());
        assert_eq!(service_provider_config("b")["patch"]["supported"], true);
    }

    #[test]
    fn pagination_is_published_as_rfc_9865_names_it() {
        let config = service_provider_config("b");
        assert_eq!(
            config["pagination"],
            json!({
                "cursor": true,
                "index": true,
                "defaultPaginationMethod": "index",
                "defaultPageSize": DEFAULT_COUNT,
                "maxPageSize": MAX_RESULTS,
                "cursorTimeout": i32::MAX,
            })
        );
        assert_eq!(config["filter"]["maxResults"], MAX_RESULTS);
    }

    /// The sub-attribute `name` of the attribute `parent` in the User schema.
    fn user_sub(parent: &str, name: &str) -> Value {
        let doc = schema("b", USER_SCHEMA).unwrap();
        let attrs = doc["attributes"].as_array().unwrap();
        let parent = attrs.iter().find(|a| a["name"] == parent).unwrap();
        let subs = parent["subAttributes"].as_array().unwrap();
        subs.iter().find(|a| a["name"] == name).unwrap().clone()
    }

    #[test]
    fn an_email_is_published_unique_as_the_server_enforces_and_a_phone_is_not() {
        assert_eq!(user_sub("emails", "value")["uniqueness"], "server");
        assert_eq!(user_sub("phoneNumbers", "value")["uniqueness"], "none");
    }
}
