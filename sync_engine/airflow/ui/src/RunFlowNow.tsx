import { Button, HStack, Text } from "@chakra-ui/react";
import { type ReactNode, useState } from "react";

import { postJson, triggerDag, type Decision, type FlowInfo, type Session } from "./api";
import { AirflowLink, Notice } from "./components";

export interface Outcome {
  decision?: Decision;
  error?: string;
}

/** Send a decision (resolve, retry) with the user's CSRF token; ``after`` runs once it is stored. */
export function useDecision(session: Session, path: string, after: () => void) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();
  const send = (body: unknown) => {
    setBusy(true);
    postJson<Decision>(path, body, { header: session.csrf_header, token: session.csrf_token })
      .then((decision) => {
        setOutcome({ decision });
        after();
      })
      .catch((exc: Error) => setOutcome({ error: exc.message }))
      .finally(() => setBusy(false));
  };
  return { busy, outcome, send };
}

/** What a decision did: a summary, each refused record with the reason, and the flows to run now. */
export function DecisionNotice(props: {
  outcome: Outcome | undefined;
  session: Session;
  summary: (done: number, flows: string[]) => ReactNode;
}) {
  const { outcome, session } = props;
  if (outcome?.error) return <Notice tone="error">{outcome.error}</Notice>;
  if (!outcome?.decision) return null;
  const { results, flows } = outcome.decision;
  const refused = results.filter((r) => !r.ok);
  return (
    <Notice tone={refused.length ? "error" : "success"}>
      <Text>{props.summary(results.length - refused.length, flows)}</Text>
      {refused.map((r) => (
        <Text key={r.id} fontSize="sm">
          #{r.id}: {r.error}
        </Text>
      ))}
      <RunFlowNow flows={session.flows.filter((f) => flows.includes(f.name))} />
    </Notice>
  );
}

/** After a decision: start the flow's DAG now instead of waiting for its schedule. */
export function RunFlowNow({ flows }: { flows: FlowInfo[] }) {
  const [started, setStarted] = useState<Record<string, string>>({});
  const [failed, setFailed] = useState<Record<string, string>>({});
  const runnable = flows.filter((f) => f.can_trigger);
  if (runnable.length === 0) return null;
  return (
    <HStack gap={3} wrap="wrap" mt={2}>
      {runnable.map((flow) =>
        started[flow.name] ? (
          <Text key={flow.name} fontSize="sm">
            {flow.name}:{" "}
            <AirflowLink
              to={`dags/${encodeURIComponent(flow.dag_id)}/runs/${encodeURIComponent(started[flow.name])}`}
            >
              DAG run {started[flow.name]}
            </AirflowLink>{" "}
            started
          </Text>
        ) : (
          <HStack key={flow.name} gap={2}>
            <Button
              size="xs"
              colorPalette="blue"
              onClick={() =>
                triggerDag(flow.dag_id)
                  .then((runId) => setStarted((s) => ({ ...s, [flow.name]: runId })))
                  .catch((exc: Error) => setFailed((s) => ({ ...s, [flow.name]: exc.message })))
              }
            >
              Run {flow.name} now
            </Button>
            {failed[flow.name] && (
              <Text fontSize="xs" color="fg.error">
                {failed[flow.name]}
              </Text>
            )}
          </HStack>
        ),
      )}
    </HStack>
  );
}
