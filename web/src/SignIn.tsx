import { useState, type FormEvent } from "react";
import { useMutation } from "urql";

import { Alert } from "./Alert";
import { errorText } from "./format";
import { LoginMutation, RegisterMutation } from "./operations";

export function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [registering, setRegistering] = useState(false);
  if (registering) {
    return <Register onSignedIn={onSignedIn} onBack={() => setRegistering(false)} />;
  }
  return <Login onSignedIn={onSignedIn} onRegister={() => setRegistering(true)} />;
}

function Login({
  onSignedIn,
  onRegister,
}: {
  onSignedIn: (token: string) => void;
  onRegister: () => void;
}) {
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
        <Alert text={problem} />
      </form>
      <p className="switch">
        New here?{" "}
        <button type="button" className="link" onClick={onRegister}>
          Create an account
        </button>
      </p>
      <p className="hint">
        With <code>make run</code>'s demo data: <code>mentor@example.com</code> or{" "}
        <code>mentee@example.com</code>, password <code>mentorship-demo</code>.
      </p>
    </main>
  );
}

function Register({
  onSignedIn,
  onBack,
}: {
  onSignedIn: (token: string) => void;
  onBack: () => void;
}) {
  const [form, setForm] = useState({ name: "", email: "", password: "", birthDate: "" });
  const [result, register] = useMutation(RegisterMutation);
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: e.target.value });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await register({ input: form });
    const token = data?.register.token;
    if (token) onSignedIn(token);
  };

  const problem = errorText(result.error, result.data?.register.userErrors);
  return (
    <main className="sign-in">
      <h1>Create an account</h1>
      <form onSubmit={submit} aria-label="Create an account">
        <label>
          Name
          <input name="name" autoComplete="name" required value={form.name} onChange={set("name")} />
        </label>
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="email"
            required
            value={form.email}
            onChange={set("email")}
          />
        </label>
        <label>
          Password (at least 10 characters)
          <input
            type="password"
            name="new-password"
            autoComplete="new-password"
            required
            value={form.password}
            onChange={set("password")}
          />
        </label>
        <label>
          Birth date (mentorship is for people aged 18 and over)
          <input
            type="date"
            name="birthDate"
            required
            value={form.birthDate}
            onChange={set("birthDate")}
          />
        </label>
        <button type="submit" disabled={result.fetching}>
          {result.fetching ? "Creating…" : "Create account"}
        </button>
        <Alert text={problem} />
      </form>
      <p className="switch">
        <button type="button" className="link" onClick={onBack}>
          I have an account: sign in
        </button>
      </p>
    </main>
  );
}
