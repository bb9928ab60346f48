// The bearer token from `login`, kept in sessionStorage (docs/client-guide.md): a reload
// stays signed in, but the token leaves with the tab, and no other tab or later visit
// finds it. (Tokens stored in localStorage by earlier versions are dropped.)
import { useCallback, useState } from "react";

const KEY = "mentorship.token";

function storedToken(): string | null {
  localStorage.removeItem(KEY);
  return sessionStorage.getItem(KEY);
}

export function useSession(): [string | null, (token: string | null) => void] {
  const [token, setTokenState] = useState<string | null>(storedToken);
  const setToken = useCallback((next: string | null) => {
    if (next) sessionStorage.setItem(KEY, next);
    else sessionStorage.removeItem(KEY);
    setTokenState(next);
  }, []);
  return [token, setToken];
}
