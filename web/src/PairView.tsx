import { useMemo } from "react";
import { useQuery, useSubscription } from "urql";

import { CheckInThread } from "./CheckInThread";
import type { LiveStatus } from "./client";
import { Alert } from "./Alert";
import { errorText, formatDate } from "./format";
import { PairEventsSubscription, PairQuery } from "./operations";
import { MilestoneTimeline } from "./MilestoneTimeline";
import { PairOutcome } from "./PairList";
import { applyEvent, mergePair, noUpdates, type LiveUpdates } from "./pairState";

interface Props {
  id: string;
  live: LiveStatus;
  onBack: () => void;
}

export function PairView({ id, live, onBack }: Props) {
  const [{ data, fetching, error }] = useQuery({ query: PairQuery, variables: { id } });
  // Subscribed from the start, with no cursor: the history replays, then live events.
  const [events] = useSubscription(
    { query: PairEventsSubscription, variables: { pairId: id } },
    (previous: LiveUpdates | undefined, event) => applyEvent(previous, event.pairEvents),
  );
  const updates = events.data ?? noUpdates;
  const view = useMemo(
    () => (data?.pair ? mergePair(data.pair, updates) : null),
    [data?.pair, updates],
  );

  const back = (
    <button type="button" className="link" onClick={onBack}>
      ← My pairs
    </button>
  );
  // A mistyped address (a malformed ID is BAD_USER_INPUT) reads like any pair that is
  // not yours: the same "not found", not the server's message about IDs.
  const malformed =
    error?.graphQLErrors.some((e) => e.extensions?.code === "BAD_USER_INPUT") ?? false;
  if ((error && !malformed) || !view) {
    return (
      <>
        {back}
        {error && !malformed ? (
          <p className="error">{errorText(error)}</p>
        ) : fetching && !malformed ? (
          <p>Loading…</p>
        ) : (
          <p data-testid="not-found">This pair doesn't exist, or isn't yours.</p>
        )}
      </>
    );
  }

  const { pair, milestones, checkIns, completedCount } = view;
  const active = pair.status === "ACTIVE";
  const role = pair.mentor.id === data?.viewer?.id ? "mentor" : "mentee";
  return (
    <article className="pair" data-testid="pair-view" data-pair-id={pair.id}>
      {back}
      <h1>
        {pair.mentor.name} &amp; {pair.mentee.name}
      </h1>
      <p className="muted">
        Signed in as {data?.viewer?.name}, the {role}.
      </p>
      <p className="muted">
        {pair.program.title} ·{" "}
        <span className={`status status-${pair.status.toLowerCase()}`}>{pair.status}</span> ·{" "}
        <span className={`live live-${live}`} data-testid="live-status" title="Live updates">
          {live === "live" ? "● live" : live === "connecting" ? "○ connecting…" : "○ offline"}
        </span>
      </p>
      <PairOutcome pair={pair} />
      <Alert text={events.error && `Live updates stopped: ${errorText(events.error)}`} />
      <div className="columns">
        <section aria-labelledby="timeline-title">
          <h2 id="timeline-title">Milestones</h2>
          <div className="progress" data-testid="progress" data-completed={completedCount}>
            <progress value={completedCount} max={milestones.length} />
            <span>
              {completedCount} of {milestones.length} done
            </span>
          </div>
          <MilestoneTimeline milestones={milestones} active={active} />
        </section>
        <section aria-labelledby="check-ins-title">
          <h2 id="check-ins-title">Weekly check-ins</h2>
          {active && pair.nextCheckInDue && (
            <p className="muted">Next check-in due {formatDate(pair.nextCheckInDue)}</p>
          )}
          <CheckInThread pairId={pair.id} checkIns={checkIns} active={active} />
        </section>
      </div>
    </article>
  );
}
