import { useState, type FormEvent } from "react";
import { useMutation } from "urql";

import { Alert } from "./Alert";
import { errorText, formatDate } from "./format";
import { PostCheckInMutation, type CheckIn } from "./operations";

const MAX_BODY = 4000;

export function CheckInThread({
  pairId,
  checkIns,
  active,
}: {
  pairId: string;
  checkIns: CheckIn[];
  active: boolean;
}) {
  const [body, setBody] = useState("");
  const [result, post] = useMutation(PostCheckInMutation);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await post({ input: { pairId, body } });
    if (data?.postCheckIn.checkIn) setBody("");
  };

  const problem = errorText(result.error, result.data?.postCheckIn.userErrors);
  return (
    <>
      {active && (
        <form className="check-in-form" onSubmit={submit}>
          <textarea
            aria-label="Your check-in"
            placeholder="How did this week go? What's next?"
            maxLength={MAX_BODY}
            rows={3}
            value={body}
            onChange={(e) => setBody(e.target.value)}
          />
          <span className="muted counter" data-testid="check-in-length">
            {body.length} / {MAX_BODY}
          </span>
          <button type="submit" disabled={result.fetching || !body.trim()}>
            {result.fetching ? "Posting…" : "Post check-in"}
          </button>
          <Alert text={problem} />
        </form>
      )}
      {checkIns.length === 0 && <p className="muted">No check-ins yet.</p>}
      <ul className="thread">
        {checkIns.map((checkIn) => (
          <li key={checkIn.id} data-testid="check-in" data-check-in-id={checkIn.id}>
            <div className="muted">
              <strong>{checkIn.author.name}</strong> · {formatDate(checkIn.createdAt)}
            </div>
            <p>{checkIn.body}</p>
          </li>
        ))}
      </ul>
    </>
  );
}
