import { useEffect } from "react";
import { useQuery } from "urql";

import { errorText, formatDate, percent } from "./format";
import { MyPairsQuery, type PairSummary } from "./graphql";
import { routeHref } from "./router";

export function PairList({
  onOpen,
  onSessionExpired,
}: {
  onOpen: (id: string) => void;
  onSessionExpired: () => void;
}) {
  const [{ data, fetching, error }] = useQuery({
    query: MyPairsQuery,
    requestPolicy: "cache-and-network",
  });
  // A token that is no longer valid is UNAUTHENTICATED (only a request without one
  // reads `viewer` as null): either way, back to the sign-in page.
  const refused =
    error?.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED") ?? false;
  const expired = refused || (data !== undefined && data.viewer === null);
  useEffect(() => {
    if (expired) onSessionExpired();
  }, [expired, onSessionExpired]);

  if (error && !refused) return <p className="error">{errorText(error)}</p>;
  if (!data?.viewer) return <p>{fetching ? "Loading…" : ""}</p>;
  const viewer = data.viewer;
  const pairs = viewer.pairs?.edges.map((edge) => edge.node) ?? [];
  return (
    <section>
      <h1>My pairs</h1>
      <p className="muted">Signed in as {viewer.name}.</p>
      {pairs.length === 0 && <p>No pairs yet: a group admin pairs you after you sign up.</p>}
      <ul className="pairs">
        {pairs.map((pair) => (
          <PairCard key={pair.id} pair={pair} viewerId={viewer.id} onOpen={onOpen} />
        ))}
      </ul>
    </section>
  );
}

function PairCard({
  pair,
  viewerId,
  onOpen,
}: {
  pair: PairSummary;
  viewerId: string;
  onOpen: (id: string) => void;
}) {
  const mentoring = pair.mentor.id === viewerId;
  const partner = mentoring ? pair.mentee : pair.mentor;
  return (
    <li className="card" data-testid="pair">
      <a
        href={routeHref({ name: "pair", id: pair.id })}
        onClick={(event) => {
          event.preventDefault();
          onOpen(pair.id);
        }}
      >
        <strong>
          {mentoring ? "Mentoring" : "Mentored by"} {partner.name}
        </strong>
      </a>
      <span className={`status status-${pair.status.toLowerCase()}`}>{pair.status}</span>
      <div className="muted">{pair.program.title}</div>
      <progress value={pair.progress} max={1} /> {percent(pair.progress)} ·{" "}
      {pair.checkInCount} check-ins
      {pair.nextCheckInDue && (
        <div className="muted">Next check-in due {formatDate(pair.nextCheckInDue)}</div>
      )}
    </li>
  );
}
