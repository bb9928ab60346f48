// Runs graphql-http's serverAudits against a GraphQL endpoint and prints the results as JSON.
//
//   node audit.mjs http://127.0.0.1:8000/graphql
//
// Prints {"ok": n, "total": n, "results": [{id, name, status, reason}]}, where status is
// "ok", "notice" (a MAY), "warn" (a SHOULD) or "error" (a MUST). Exits 0 once the audit ran,
// whatever the results (tests/test_graphql_http_audit.py judges them); 2 on bad usage.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint url>');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  });
}
const ok = results.filter((result) => result.status === 'ok').length;
console.log(JSON.stringify({ ok, total: results.length, results }, null, 2));
