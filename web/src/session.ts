// The bearer token from `login`, kept in localStorage so a reload stays signed in.
import { useCallback, useState } from "react";

const KEY = "mentorship.token";

export function useSession(): [string | null, (token: string | null) => void] {
  const [token, setTokenState] = useState<string | null>(() => localStorage.getItem(KEY));
  const setToken = useCallback((next: string | null) => {
    if (next) localStorage.setItem(KEY, next);
    else localStorage.removeItem(KEY);
    setTokenState(next);
  }, []);
  return [token, setToken];
}
