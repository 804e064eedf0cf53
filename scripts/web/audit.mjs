// Runs the graphql-http server audit (GraphQL over HTTP) against a running autoprov.
// Usage: node audit.mjs URL TOKEN [MAX_WARNINGS]
// Every request carries the bearer token: autoprov answers 401 to anything without one, which
// would hide what the audit is about. Exits 1 on any failed MUST/SHOULD error or on more
// warnings than allowed; prints each non-passing audit with its reason.
import { serverAudits } from 'graphql-http';

const [url, token, maxWarnings = '2'] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node audit.mjs URL TOKEN [MAX_WARNINGS]');
  process.exit(2);
}

const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

let passed = 0;
const warnings = [];
const errors = [];
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  if (result.status === 'ok') passed += 1;
  else if (result.status === 'warn') warnings.push(`${audit.name}: ${result.reason}`);
  else errors.push(`${audit.name}: ${result.reason}`);
  if ('response' in result && result.response?.body) {
    await result.response.body.cancel().catch(() => {});
  }
}
for (const w of warnings) console.log(`WARN  ${w}`);
for (const e of errors) console.log(`ERROR ${e}`);
console.log(`graphql-http audit: ${passed} passed, ${warnings.length} warnings, ${errors.length} errors`);
process.exit(errors.length === 0 && warnings.length <= Number(maxWarnings) ? 0 : 1);
