// The screens, as paths under the app's base (/app/): the pairs, one pair, finding a
// program, and one program's sign-up form. The server answers every path under /app/
// with index.html, so a reload or a shared link works.
import { useCallback, useEffect, useState } from "react";

export type Route =
  | { name: "pairs" }
  | { name: "pair"; id: string }
  | { name: "programs" }
  | { name: "program"; id: string }
  | { name: "not-found"; path: string };

const BASE = import.meta.env.BASE_URL; // "/app/"

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : "";
  if (rest === "" || rest === "pairs" || rest === "pairs/") return { name: "pairs" };
  if (rest === "programs" || rest === "programs/") return { name: "programs" };
  const pair = /^pairs\/([^/]+)\/?$/.exec(rest);
  if (pair) return { name: "pair", id: decodeURIComponent(pair[1]) };
  const program = /^programs\/([^/]+)\/?$/.exec(rest);
  if (program) return { name: "program", id: decodeURIComponent(program[1]) };
  return { name: "not-found", path: pathname };
}

export function routeHref(route: Route): string {
  switch (route.name) {
    case "pair":
      return `${BASE}pairs/${encodeURIComponent(route.id)}`;
    case "programs":
      return `${BASE}programs`;
    case "program":
      return `${BASE}programs/${encodeURIComponent(route.id)}`;
    case "not-found":
      return route.path;
    default:
      return BASE;
  }
}

export function useRoute(): [Route, (route: Route) => void] {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const navigate = useCallback((next: Route) => {
    window.history.pushState(null, "", routeHref(next));
    setRoute(next);
  }, []);
  return [route, navigate];
}
