// A member's way in: find a group, join it, and sign up for one of its open programs by
// answering its questions (choice questions as checkboxes or radio buttons, so the
// answers are the options matching compares).
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";

import { Alert } from "./Alert";
import { errorText } from "./format";
import {
  FindGroupsQuery,
  JoinGroupMutation,
  ProgramFormQuery,
  SignUpMutation,
  type GroupSummary,
  type MentorshipRole,
  type SignUpQuestion,
  type UserError,
} from "./operations";
import { routeHref, type Route } from "./router";

const TEXT_MAX = 2000; // the server's limit for a written answer

export function FindPrograms({ navigate }: { navigate: (route: Route) => void }) {
  const [search, setSearch] = useState("");
  const [asked, setAsked] = useState<string | null>(null);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: FindGroupsQuery,
    variables: { search: asked },
    requestPolicy: "cache-and-network",
  });
  const groups = data?.groups.edges.map((edge) => edge.node) ?? [];
  return (
    <section>
      <h1>Find a program</h1>
      <form
        className="search"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setAsked(search.trim() || null);
        }}
      >
        <label>
          Group name
          <input value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      {error && <p className="error">{errorText(error)}</p>}
      {!fetching && groups.length === 0 && <p>No group has that name.</p>}
      <ul className="pairs">
        {groups.map((group) => (
          <GroupCard
            key={group.id}
            group={group}
            navigate={navigate}
            onJoined={() => refetch({ requestPolicy: "network-only" })}
          />
        ))}
      </ul>
    </section>
  );
}

function GroupCard({
  group,
  navigate,
  onJoined,
}: {
  group: GroupSummary;
  navigate: (route: Route) => void;
  onJoined: () => void;
}) {
  const [joining, join] = useMutation(JoinGroupMutation);
  const programs = group.programs.edges.map((edge) => edge.node);
  const problem = errorText(joining.error, joining.data?.joinGroup.userErrors);
  return (
    <li className="card" data-testid="group">
      <strong>{group.name}</strong> <span className="muted">{group.memberCount} members</span>
      <p className="muted wrap">{group.description}</p>
      {group.viewerRole === null ? (
        <>
          <button
            type="button"
            disabled={joining.fetching}
            onClick={async () => {
              const { data } = await join({ input: { groupId: group.id } });
              if (data?.joinGroup.group) onJoined();
            }}
          >
            Join {group.name}
          </button>
          <span className="muted"> to see its programs and sign up.</span>
        </>
      ) : programs.length === 0 ? (
        <p className="muted">No program is open for sign-up here right now.</p>
      ) : (
        <ul>
          {programs.map((program) => (
            <li key={program.id}>
              <a
                href={routeHref({ name: "program", id: program.id })}
                onClick={(event) => {
                  event.preventDefault();
                  navigate({ name: "program", id: program.id });
                }}
              >
                {program.title}
              </a>
            </li>
          ))}
        </ul>
      )}
      <Alert text={problem} />
    </li>
  );
}

/** The message of the userError at `["answers", index, ...]`, if any. */
function answerError(errors: UserError[], index: number): string | null {
  const found = errors.find((e) => e.field?.[0] === "answers" && e.field[1] === String(index));
  return found?.message ?? null;
}

export function ProgramSignUp({ id, onDone }: { id: string; onDone: () => void }) {
  const [{ data, fetching, error }] = useQuery({ query: ProgramFormQuery, variables: { id } });
  const [role, setRole] = useState<MentorshipRole>("MENTEE");
  const [capacity, setCapacity] = useState(1);
  const [values, setValues] = useState<Record<string, string[]>>({});
  const [result, signUp] = useMutation(SignUpMutation);

  if (error) return <p className="error">{errorText(error)}</p>;
  if (!data) return <p>{fetching ? "Loading…" : ""}</p>;
  const program = data.program;
  if (!program) {
    return (
      <section data-testid="not-found">
        <h1>Program not found</h1>
        <p>It does not exist, or it belongs to a group you have not joined.</p>
      </section>
    );
  }
  const mine = data.viewer?.signUps?.edges
    .map((edge) => edge.node)
    .filter((s) => s.program.id === program.id && s.status !== "WITHDRAWN");
  const questions = program.questions.filter((q) => q.appliesTo.includes(role));
  const errors = result.data?.signUp.userErrors ?? [];
  const done = result.data?.signUp.signUp;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answers = program.questions
      .map((q, index) => ({ q, index }))
      .filter(({ q }) => q.appliesTo.includes(role) && (values[q.id]?.length ?? 0) > 0)
      .map(({ q }) => ({
        questionId: q.id,
        value: q.kind === "MULTIPLE_CHOICE" ? JSON.stringify(values[q.id]) : values[q.id][0],
      }));
    await signUp({
      input: { programId: program.id, role, capacity: role === "MENTOR" ? capacity : null, answers },
    });
  };

  if (done) {
    return (
      <section data-testid="signed-up">
        <h1>{program.title}</h1>
        <p>
          You are signed up as {done.role === "MENTOR" ? "a mentor" : "a mentee"}:{" "}
          <span className="status">{done.status}</span>. A group admin pairs you, and you get a
          notification when they do.
        </p>
        <button type="button" onClick={onDone}>
          Back to my pairs
        </button>
      </section>
    );
  }
  // The questions sent are those for the role, in the program's order: map each shown
  // question to its index among the answers sent, for the userErrors' `field`.
  const sentIndex = new Map(
    questions
      .filter((q) => (values[q.id]?.length ?? 0) > 0)
      .map((q, index) => [q.id, index] as const),
  );
  const general = errors.filter((e) => e.field?.[0] !== "answers");
  return (
    <section>
      <h1>{program.title}</h1>
      <p className="wrap">{program.description}</p>
      {mine && mine.length > 0 && (
        <p className="muted">
          You signed up already, as {mine.map((s) => s.role.toLowerCase()).join(" and ")}.
        </p>
      )}
      {program.status !== "OPEN" && <p className="error">This program is not open for sign-up.</p>}
      <form className="sign-up-form" aria-label="Sign up" onSubmit={submit}>
        <fieldset>
          <legend>I want to take part as</legend>
          {(["MENTEE", "MENTOR"] as const).map((option) => (
            <label key={option} className="choice">
              <input
                type="radio"
                name="role"
                checked={role === option}
                onChange={() => setRole(option)}
              />
              {option === "MENTEE" ? "a mentee" : "a mentor"}
            </label>
          ))}
        </fieldset>
        {role === "MENTOR" && (
          <label>
            How many mentees can you take? (1-5)
            <input
              type="number"
              min={1}
              max={5}
              value={capacity}
              onChange={(e) => setCapacity(Number(e.target.value))}
            />
          </label>
        )}
        {questions.map((question) => (
          <Question
            key={question.id}
            question={question}
            value={values[question.id] ?? []}
            onChange={(next) => setValues({ ...values, [question.id]: next })}
            problem={
              sentIndex.has(question.id)
                ? answerError(errors, sentIndex.get(question.id)!)
                : (errors.find(
                    (e) => e.code === "MISSING_ANSWER" && e.message.includes(question.prompt),
                  )?.message ?? null)
            }
          />
        ))}
        <button type="submit" disabled={result.fetching}>
          {result.fetching ? "Signing up…" : "Sign up"}
        </button>
        <Alert text={errorText(result.error, general)} />
      </form>
    </section>
  );
}

function Question({
  question,
  value,
  onChange,
  problem,
}: {
  question: SignUpQuestion;
  value: string[];
  onChange: (next: string[]) => void;
  problem: string | null;
}) {
  const label = `${question.prompt}${question.required ? "" : " (optional)"}`;
  const error = problem && (
    <span className="error" role="alert">
      {problem}
    </span>
  );
  if (question.kind === "TEXT") {
    const text = value[0] ?? "";
    return (
      <label className="question" data-testid="question">
        {label}
        <textarea
          value={text}
          maxLength={TEXT_MAX}
          rows={3}
          onChange={(e) => onChange(e.target.value ? [e.target.value] : [])}
        />
        <span className="muted counter">
          {text.length} / {TEXT_MAX}
        </span>
        {error}
      </label>
    );
  }
  const multiple = question.kind === "MULTIPLE_CHOICE";
  return (
    <fieldset className="question" data-testid="question">
      <legend>
        {label}
        {multiple && <span className="muted"> (choose any)</span>}
      </legend>
      {question.options.map((option) => (
        <label key={option} className="choice">
          <input
            type={multiple ? "checkbox" : "radio"}
            name={question.id}
            checked={value.includes(option)}
            onChange={(e) => {
              if (!multiple) onChange([option]);
              else if (e.target.checked) onChange([...value, option]);
              else onChange(value.filter((v) => v !== option));
            }}
          />
          {option}
        </label>
      ))}
      {error}
    </fieldset>
  );
}
