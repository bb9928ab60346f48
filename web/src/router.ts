// Two screens, as paths under the app's base (/app/): the list and one pair. The server
// answers every path under /app/ with index.html, so a reload or a shared link works.
import { useCallback, useEffect, useState } from "react";

export type Route = { name: "pairs" } | { name: "pair"; id: string };

const BASE = import.meta.env.BASE_URL; // "/app/"

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : "";
  const match = /^pairs\/([^/]+)$/.exec(rest);
  return match ? { name: "pair", id: decodeURIComponent(match[1]) } : { name: "pairs" };
}

export function routeHref(route: Route): string {
  return route.name === "pair" ? `${BASE}pairs/${encodeURIComponent(route.id)}` : BASE;
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
