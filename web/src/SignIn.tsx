import { useState, type FormEvent } from "react";
import { useMutation } from "urql";

import { errorText } from "./format";
import { LoginMutation } from "./graphql";

export function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [result, login] = useMutation(LoginMutation);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await login({ input: { email, password } });
    const token = data?.login.token;
    if (token) onSignedIn(token);
  };

  const problem = errorText(result.error, result.data?.login.userErrors);
  return (
    <main className="sign-in">
      <h1>Mentorship pairs</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" disabled={result.fetching}>
          {result.fetching ? "Signing in…" : "Sign in"}
        </button>
        {problem && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
      </form>
      <p className="hint">
        With <code>make run</code>'s demo data: <code>mentor@example.com</code> or{" "}
        <code>mentee@example.com</code>, password <code>mentorship-demo</code>.
      </p>
    </main>
  );
}
