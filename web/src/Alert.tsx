/** A failed operation's message, announced to screen readers; nothing when there is none. */
export function Alert({ text }: { text: string | null | undefined }) {
  return text ? (
    <p className="error" role="alert">
      {text}
    </p>
  ) : null;
}
