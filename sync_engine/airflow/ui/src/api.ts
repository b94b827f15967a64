// The SyncHub API (served beside this script) and Airflow's own REST API, as the page uses them.
// Both authenticate with the Airflow UI's session cookie; SyncHub's changes also carry a CSRF token.

const SYNCHUB_API = new URL("../api/", import.meta.url);
const AIRFLOW_API = () => new URL("api/v2/", document.baseURI);

export type Params = Record<string, string | number | boolean | undefined | null>;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export function apiUrl(path: string, params: Params = {}): string {
  const url = new URL(path, SYNCHUB_API);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  return url.toString();
}

async function answer<T>(response: Response): Promise<T> {
  if (response.ok) return (await response.json()) as T;
  let detail = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? body);
  } catch {
    // not JSON: keep the status line
  }
  throw new ApiError(detail, response.status);
}

export async function getJson<T>(path: string, params: Params = {}): Promise<T> {
  return answer<T>(await fetch(apiUrl(path, params), { credentials: "same-origin" }));
}

export interface Csrf {
  header: string;
  token: string;
}

export async function postJson<T>(path: string, body: unknown, csrf: Csrf): Promise<T> {
  const response = await fetch(apiUrl(path), {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", [csrf.header]: csrf.token },
    body: JSON.stringify(body),
  });
  return answer<T>(response);
}

/** Start a DAG run through Airflow's public REST API; Airflow checks the user may. */
export async function triggerDag(dagId: string): Promise<string> {
  const response = await fetch(new URL(`dags/${encodeURIComponent(dagId)}/dagRuns`, AIRFLOW_API()), {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ logical_date: null, conf: {} }),
  });
  const run = await answer<{ dag_run_id: string }>(response);
  return run.dag_run_id;
}

// -- what the SyncHub API returns --------------------------------------------------------------------
export interface FlowInfo {
  name: string;
  entity: string;
  dag_id: string;
  enabled: boolean;
  systems: { erp: string; crm: string };
  can_edit: boolean;
  can_trigger: boolean;
}

export interface Session {
  user: string;
  csrf_token: string;
  csrf_header: string;
  flows: FlowInfo[];
  systems: Record<string, { connector: string }>;
  buckets: string[];
}

export interface SystemRef {
  system: string;
  role: string | null;
  connector: string;
  id: string | null;
  url: string | null;
}

export interface RecordRef {
  entity: string;
  name: string | null;
  canonical_id: string | null;
  owner: string | null;
  systems: SystemRef[];
}

export interface Page<T> {
  total: number;
  page: number;
  page_size: number;
  rows: T[];
}

export interface ChangedAt {
  at: string | null;
  source: "system" | "first_seen";
}

export interface ConflictRow {
  id: number;
  flow: string;
  entity: string;
  field: string;
  kind: string;
  status: string;
  record: RecordRef | null;
  base: unknown;
  values: Record<string, unknown>;
  candidates: unknown;
  changed_at: Record<string, ChangedAt>;
  opened_at: string;
  age_seconds: number;
  run_id: number | null;
  resolution: string | null;
  resolved_value: unknown;
  resolved_by: string | null;
  resolved_at: string | null;
  can_resolve: boolean;
}

export interface DeadLetterRow {
  id: number;
  flow: string;
  entity: string;
  system: string;
  external_id: string | null;
  record: RecordRef | null;
  stage: string;
  field: string | null;
  reason: string;
  status: string;
  attempts: number;
  created_at: string;
  updated_at: string;
  can_retry: boolean;
}

export interface AirflowRunLink {
  dag_id: string;
  run_id: string;
  path: string;
  logs_path: string;
}

export interface RunRow {
  id: number;
  flow: string;
  status: string;
  dry_run: boolean;
  started_at: string;
  finished_at: string | null;
  seconds: number | null;
  systems: Record<string, Record<string, number>>;
  conflicts: number;
  dead_letters: number;
  deferred: number;
  error: string | null;
  airflow: AirflowRunLink | null;
}

export interface RunDetail extends RunRow {
  writes: { system: string; op: string; at: string; record: RecordRef }[];
}

export interface Decision {
  results: { id: number; ok: boolean; error?: string; flow?: string }[];
  flows: string[];
}

export interface ChartData {
  bucket: string;
  starts: string[];
  series: Record<string, Record<string, number[]>>;
  durations: Record<
    string,
    { id: number; started_at: string; seconds: number; status: string; dry_run: boolean }[]
  >;
}

export interface MarginRow {
  key: string;
  label: string;
  currency: string;
  orders: number;
  lines: number;
  revenue: string;
  cost: string;
  margin: string;
  margin_percent: string | null;
  lines_without_cost: number;
  actual_cost_lines: number;
  record: RecordRef | null;
  customer?: string;
}
