// Starts GraphiQL against this server's /graphql. Served from the binary with the page; the
// page's Content-Security-Policy allows scripts from this origin only, so this cannot be inline.
(function () {
  'use strict';
  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).toString() });
  var headers = JSON.stringify({ Authorization: 'Bearer PASTE-YOUR-TOKEN-HERE' }, null, 2);
  var query = [
    '# Paste your API token in the Headers tab below, then run this query with the play button.',
    '# The Docs button (top left) opens the schema explorer; it loads once the token is set',
    '# (or press the "Re-fetch GraphQL schema" button after pasting it).',
    '{',
    '  brands(first: 10) {',
    '    edges { node { id name } }',
    '    pageInfo { totalRecords }',
    '  }',
    '}',
    '',
  ].join('\n');
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
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
