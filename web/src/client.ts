// One urql client per token: queries and mutations over HTTP POST, subscriptions over
// a graphql-ws (graphql-transport-ws) socket on the same origin and path.
import { createClient as createSocket, type Client as Socket } from "graphql-ws";
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "urql";

export const GRAPHQL_PATH = "/graphql";

/** ws://host/graphql for a page on http://host, wss:// for https://. */
export function websocketUrl(location: Location = window.location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${GRAPHQL_PATH}`;
}

export type LiveStatus = "connecting" | "live" | "offline";

export interface ApiClient {
  token: string | null;
  client: Client;
  socket: Socket;
}

export function createApiClient(
  token: string | null,
  onLiveStatus: (status: LiveStatus) => void,
): ApiClient {
  const socket = createSocket({
    url: websocketUrl(),
    // The token goes in connection_init, not in a header (browsers can't set one).
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: Infinity,
    on: {
      connecting: () => onLiveStatus("connecting"),
      connected: () => onLiveStatus("live"),
      closed: () => onLiveStatus("offline"),
    },
  });
  const client = new Client({
    url: GRAPHQL_PATH,
    fetchOptions: () => (token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const operation = { ...request, query: request.query ?? "" };
          return {
            subscribe: (sink) => ({ unsubscribe: socket.subscribe(operation, sink) }),
          };
        },
      }),
    ],
  });
  return { token, client, socket };
}
