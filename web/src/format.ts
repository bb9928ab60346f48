export function formatDate(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "";
}

export function percent(progress: number): string {
  return `${Math.round(progress * 100)}%`;
}

/** The message of a failed operation: network, top-level GraphQL error, or userErrors. */
export function errorText(
  error: { message: string; graphQLErrors?: { message: string }[] } | undefined,
  userErrors: { message: string }[] = [],
): string | null {
  if (userErrors.length) return userErrors.map((e) => e.message).join(" ");
  if (!error) return null;
  if (error.graphQLErrors?.length) return error.graphQLErrors.map((e) => e.message).join(" ");
  return error.message;
}
