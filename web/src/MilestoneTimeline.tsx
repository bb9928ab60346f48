import { useMutation } from "urql";

import { errorText, formatDate } from "./format";
import { CompleteMilestoneMutation, type Milestone } from "./operations";

export function MilestoneTimeline({ milestones, active }: { milestones: Milestone[]; active: boolean }) {
  return (
    <ol className="timeline">
      {milestones.map((milestone) => (
        <MilestoneItem key={milestone.id} milestone={milestone} active={active} />
      ))}
    </ol>
  );
}

function MilestoneItem({ milestone, active }: { milestone: Milestone; active: boolean }) {
  const [result, complete] = useMutation(CompleteMilestoneMutation);
  const done = Boolean(milestone.completedAt);
  const problem = errorText(result.error, result.data?.completeMilestone.userErrors);
  return (
    <li
      className={done ? "done" : "todo"}
      data-testid="milestone"
      data-milestone-id={milestone.id}
      data-state={done ? "done" : "todo"}
    >
      <div className="milestone-head">
        <span className="marker" aria-hidden>
          {done ? "✓" : milestone.position}
        </span>
        <strong>{milestone.title}</strong>
        {milestone.suggestedWeek && <span className="muted"> · week {milestone.suggestedWeek}</span>}
      </div>
      <p>{milestone.description}</p>
      {done ? (
        <p className="muted">
          Done {formatDate(milestone.completedAt)}
          {milestone.completedBy && ` by ${milestone.completedBy.name}`}
        </p>
      ) : (
        active && (
          <button
            type="button"
            disabled={result.fetching}
            onClick={() => complete({ input: { milestoneId: milestone.id } })}
          >
            {result.fetching ? "Saving…" : "Mark complete"}
          </button>
        )
      )}
      {problem && !done && <p className="error">{problem}</p>}
    </li>
  );
}
