// Starts GraphiQL against this server's /graphql. Served from the binary with the page; the
// page's Content-Security-Policy allows scripts from this origin only, so this cannot be inline.
(function () {
  'use strict';

  // One word for the editors (letters, digits and underscores only): a double-click selects all
  // of it, so pasting the secret replaces it whole. The README's "The playground" section shows
  // the same template, and scripts/web/playground.mjs checks that they agree.
  var PLACEHOLDER = 'apt_PASTE_YOUR_SECRET_HERE';

  // Scalars the server takes any JSON value for (`claims: JSON!` of SignInInput).
  // codemirror-graphql's variables linter accepts only a string, number or boolean for a custom
  // scalar and marks an object red ("Expected value of type "JSON"."), although the server takes
  // it; its complaint about these scalars is dropped, and the server still checks the value.
  var ANY_JSON_SCALARS = ['JSON'];

  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).toString() });
  var headers = '{ "Authorization": "Bearer ' + PLACEHOLDER + '" }';
  // Lines short enough for the query editor beside the result in a 1280-pixel window.
  var query = [
    '# Your API token goes in the Headers tab:',
    '# double-click ' + PLACEHOLDER + ',',
    '# paste the token over it, then press play.',
    '# Docs (left) shows the schema once the',
    '# token is in: press Re-fetch GraphQL schema.',
    '{',
    '  brands(first: 10) {',
    '    edges { node { id name } }',
    '    pageInfo { totalRecords }',
    '  }',
    '}',
    '',
  ].join('\n');

  var ignored = {};
  ANY_JSON_SCALARS.forEach(function (name) {
    ignored['Expected value of type "' + name + '".'] = true;
  });

  // The linter is a CodeMirror helper that codemirror-graphql registers when GraphiQL creates the
  // variables editor, and CodeMirror looks it up at each lint run: wrap it once, as soon as that
  // editor exists, and lint again. (The vendored bundle stays as published.)
  function wrapVariablesLinter() {
    var editors = document.querySelectorAll('#graphiql .CodeMirror');
    for (var i = 0; i < editors.length; i++) {
      var cm = editors[i].CodeMirror;
      if (!cm || cm.getOption('mode') !== 'graphql-variables') continue;
      var CodeMirror = cm.constructor;
      var lint = cm.getHelper(CodeMirror.Pos(0, 0), 'lint');
      if (typeof lint !== 'function') return false;
      if (!lint.anyJsonScalars) {
        var wrapped = function (text, options, editor) {
          var found = lint(text, options, editor);
          return Array.isArray(found) ? found.filter(function (a) { return !ignored[a.message]; }) : found;
        };
        wrapped.anyJsonScalars = true;
        CodeMirror.registerHelper('lint', 'graphql-variables', wrapped);
      }
      if (cm.performLint) cm.performLint();
      return true;
    }
    return false;
  }
  var root = document.getElementById('graphiql');
  var watcher = new MutationObserver(function () {
    if (wrapVariablesLinter()) watcher.disconnect();
  });
  watcher.observe(root, { childList: true, subtree: true });

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: query,
      defaultHeaders: headers,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: 'headers',
    })
  );
})();
