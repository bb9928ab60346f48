import { useEffect, useState } from "react";
import { Provider, useMutation } from "urql";

import { createApiClient, type ApiClient, type LiveStatus } from "./client";
import { LogoutMutation } from "./operations";
import { PairList } from "./PairList";
import { PairView } from "./PairView";
import { FindPrograms, ProgramSignUp } from "./Programs";
import { routeHref, useRoute } from "./router";
import { useSession } from "./session";
import { SignIn } from "./SignIn";

export function App() {
  const [token, setToken] = useSession();
  const [live, setLive] = useState<LiveStatus>("offline");
  const [api, setApi] = useState<ApiClient | null>(null);
  useEffect(() => {
    // A new client (and socket) for each token; the old socket is closed.
    const next = createApiClient(token, setLive);
    setApi(next);
    return () => void next.socket.dispose();
  }, [token]);
  if (api?.token !== token) return null; // never a render with the previous token's client

  return (
    <Provider value={api.client}>
      {token ? (
        <SignedIn live={live} onSignedOut={() => setToken(null)} />
      ) : (
        <SignIn onSignedIn={setToken} />
      )}
    </Provider>
  );
}

function SignedIn({ live, onSignedOut }: { live: LiveStatus; onSignedOut: () => void }) {
  const [route, navigate] = useRoute();
  const [, logout] = useMutation(LogoutMutation);
  const signOut = async () => {
    await logout({ input: {} }); // revokes the token; forget it whatever the answer
    onSignedOut();
  };

  return (
    <div className="app">
      <header className="bar">
        <a
          className="brand"
          href={import.meta.env.BASE_URL}
          onClick={(event) => {
            event.preventDefault();
            navigate({ name: "pairs" });
          }}
        >
          Mentorship pairs
        </a>
        <a
          className="link"
          href={routeHref({ name: "programs" })}
          onClick={(event) => {
            event.preventDefault();
            navigate({ name: "programs" });
          }}
        >
          Find a program
        </a>
        <button type="button" className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        {route.name === "pair" ? (
          <PairView id={route.id} live={live} onBack={() => navigate({ name: "pairs" })} />
        ) : route.name === "programs" ? (
          <FindPrograms navigate={navigate} />
        ) : route.name === "program" ? (
          <ProgramSignUp id={route.id} onDone={() => navigate({ name: "pairs" })} />
        ) : route.name === "not-found" ? (
          <NotFound onHome={() => navigate({ name: "pairs" })} />
        ) : (
          <PairList
            onOpen={(id) => navigate({ name: "pair", id })}
            onFind={() => navigate({ name: "programs" })}
            onSessionExpired={onSignedOut}
          />
        )}
      </main>
    </div>
  );
}

function NotFound({ onHome }: { onHome: () => void }) {
  return (
    <section data-testid="not-found">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <button type="button" onClick={onHome}>
        Go to my pairs
      </button>
    </section>
  );
}
