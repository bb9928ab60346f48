// One urql client per token: queries and mutations over HTTP POST, subscriptions over
// a graphql-ws (graphql-transport-ws) socket on the same origin and path.
import { createClient as createSocket, type Client as Socket } from "graphql-ws";
import {
  Client,
  cacheExchange,
  fetchExchange,
  makeOperation,
  mapExchange,
  subscriptionExchange,
  type Operation,
} from "urql";

export const GRAPHQL_PATH = "/graphql";

/** ws://host/graphql for a page on http://host, wss:// for https://. */
export function websocketUrl(location: Location = window.location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${GRAPHQL_PATH}`;
}

export type LiveStatus = "connecting" | "live" | "offline";

/** Every mutation goes out with a fresh Idempotency-Key: sent again with the same key
 * (the same operation retried), the server answers with the first response instead of
 * running it twice (docs/client-guide.md, "Retrying mutations safely"). */
function withIdempotencyKey(operation: Operation): Operation {
  if (operation.kind !== "mutation") return operation;
  const options = operation.context.fetchOptions;
  const init = (typeof options === "function" ? options() : options) ?? {};
  const headers = new Headers(init.headers);
  headers.set("idempotency-key", randomKey());
  return makeOperation(operation.kind, operation, {
    ...operation.context,
    fetchOptions: { ...init, headers },
  });
}

/** 128 random bits as hex (crypto.randomUUID needs a secure context; this does not). */
function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

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
      mapExchange({ onOperation: withIdempotencyKey }),
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
