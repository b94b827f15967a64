export function showValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && "amount" in value && "currency" in value) {
    const money = value as { amount: unknown; currency: unknown };
    return `${String(money.amount)} ${String(money.currency)}`;
  }
  return JSON.stringify(value);
}

export function showTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  return when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function showAge(seconds: number): string {
  if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

export function showSeconds(seconds: number | null): string {
  if (seconds === null) return "running";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function showMoney(amount: string, currency: string): string {
  const value = Number(amount);
  if (!Number.isFinite(value)) return `${amount} ${currency}`;
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency, minimumFractionDigits: 2 }).format(
      value,
    );
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}

/** A Chakra colour palette per status word, as Airflow colours its own states. */
export function statusPalette(status: string): string {
  switch (status) {
    case "success":
    case "resolved":
    case "applied":
      return "green";
    case "partial":
    case "retrying":
    case "running":
      return "orange";
    case "failed":
    case "open":
      return "red";
    default:
      return "gray";
  }
}
