import { useEffect } from "react";
import { useMutation, useQuery, useSubscription } from "urql";

import { Alert } from "./Alert";
import { errorText, formatDate, percent } from "./format";
import {
  MyPairsQuery,
  MySignUpsQuery,
  ViewerNotificationsSubscription,
  WithdrawSignUpMutation,
  type PairSummary,
} from "./operations";
import { routeHref } from "./router";

export function PairList({
  onOpen,
  onFind,
  onSessionExpired,
}: {
  onOpen: (id: string) => void;
  onFind: () => void;
  onSessionExpired: () => void;
}) {
  const [{ data, fetching, error }, refetchPairs] = useQuery({
    query: MyPairsQuery,
    requestPolicy: "cache-and-network",
  });
  // A notification (paired, a pair ended or completed) changes this page: read it again,
  // so a new pair shows up here live.
  const [notified] = useSubscription({ query: ViewerNotificationsSubscription });
  const latest = notified.data?.viewerNotifications.id;
  useEffect(() => {
    if (latest) refetchPairs({ requestPolicy: "network-only" });
  }, [latest, refetchPairs]);
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
  // Active pairs first; then those that completed or ended, most recent first.
  const pairs = (viewer.pairs?.edges.map((edge) => edge.node) ?? []).sort(
    (a, b) => Number(b.status === "ACTIVE") - Number(a.status === "ACTIVE"),
  );
  return (
    <section>
      <h1>My pairs</h1>
      <p className="muted">Signed in as {viewer.name}.</p>
      {pairs.length === 0 && (
        <p>
          No pairs yet: a group admin pairs you after you sign up.{" "}
          <button type="button" className="inline" onClick={onFind}>
            Find a program
          </button>
        </p>
      )}
      <ul className="pairs">
        {pairs.map((pair) => (
          <PairCard key={pair.id} pair={pair} viewerId={viewer.id} onOpen={onOpen} />
        ))}
      </ul>
      <MySignUps refresh={latest} />
    </section>
  );
}

/** The viewer's sign-ups that are not withdrawn, with a way to withdraw a pending one. */
function MySignUps({ refresh }: { refresh: string | undefined }) {
  const [{ data }, refetch] = useQuery({
    query: MySignUpsQuery,
    requestPolicy: "cache-and-network",
  });
  useEffect(() => {
    if (refresh) refetch({ requestPolicy: "network-only" });
  }, [refresh, refetch]);
  const [withdrawing, withdraw] = useMutation(WithdrawSignUpMutation);
  const signUps = (data?.viewer?.signUps?.edges.map((edge) => edge.node) ?? []).filter(
    (s) => s.status !== "WITHDRAWN",
  );
  if (signUps.length === 0) return null;
  const problem = errorText(withdrawing.error, withdrawing.data?.withdrawSignUp.userErrors);
  return (
    <>
      <h2>My sign-ups</h2>
      <ul className="pairs">
        {signUps.map((signUp) => (
          <li key={signUp.id} className="card" data-testid="sign-up">
            <strong>{signUp.program.title}</strong>{" "}
            <span className="muted">as {signUp.role === "MENTOR" ? "mentor" : "mentee"}</span>{" "}
            <span className={`status status-${signUp.status.toLowerCase()}`}>
              {signUp.status === "PENDING" ? "WAITING TO BE PAIRED" : signUp.status}
            </span>
            {signUp.status === "PENDING" && (
              <button
                type="button"
                className="inline"
                disabled={withdrawing.fetching}
                onClick={() => withdraw({ input: { signUpId: signUp.id } })}
              >
                Withdraw
              </button>
            )}
          </li>
        ))}
      </ul>
      <Alert text={problem} />
    </>
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
      {pair.status === "ACTIVE" && pair.nextCheckInDue && (
        <div className="muted">Next check-in due {formatDate(pair.nextCheckInDue)}</div>
      )}
      <PairOutcome pair={pair} />
    </li>
  );
}

/** What happened to a pair that is over: completed, or ended (by whom, and why). */
export function PairOutcome({ pair }: { pair: PairSummary }) {
  if (pair.status === "COMPLETED") {
    return (
      <div className="outcome" data-testid="outcome">
        Completed {formatDate(pair.completedAt)}: every milestone done.
      </div>
    );
  }
  if (pair.status !== "ENDED") return null;
  return (
    <div className="outcome wrap" data-testid="outcome">
      Ended {formatDate(pair.endedAt)}
      {pair.endedBy ? ` by ${pair.endedBy.name}` : ""}
      {pair.endReason ? `: “${pair.endReason}”` : "."}
    </div>
  );
}
