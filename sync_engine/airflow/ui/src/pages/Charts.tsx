import { Box, Heading, SimpleGrid, Spinner, Text } from "@chakra-ui/react";
import { useMemo } from "react";

import type { ChartData, Session } from "../api";
import { ChartCanvas, type Series } from "../ChartCanvas";
import { Choice, Filters, FlowChoice, Notice } from "../components";
import { useApi, useFilters } from "../hooks";

const DEFAULTS = { flow: "", bucket: "hour" };

function label(iso: string, bucket: string): string {
  const when = new Date(iso);
  return bucket === "day"
    ? when.toLocaleDateString(undefined, { month: "short", day: "numeric" })
    : when.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

function sum(data: ChartData, flows: string[], name: string): number[] {
  return data.starts.map((_, i) =>
    flows.reduce((total, flow) => total + (data.series[flow]?.[name]?.[i] ?? 0), 0),
  );
}

function Panel({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Box borderWidth="1px" borderRadius="md" p={3} bg="bg.panel">
      <Heading size="sm" mb={2}>
        {title}
      </Heading>
      {children}
    </Box>
  );
}

export function Charts({ session }: { session: Session }) {
  const { values: f, set } = useFilters(DEFAULTS, "g.");
  const chart = useApi<ChartData>("charts", { flow: f.flow, bucket: f.bucket });
  const data = chart.data;
  const flows = f.flow ? [f.flow] : session.flows.map((fl) => fl.name);
  const key = JSON.stringify([f.flow, data?.starts.length, data?.starts[0]]);
  const view = useMemo(() => {
    if (!data) return undefined;
    const labels = data.starts.map((s) => label(s, data.bucket));
    const synced: Series[] = flows.map((flow, i) => ({
      label: flow,
      data: data.series[flow]?.synced ?? [],
      color: ["blue.500", "teal.500", "cyan.500", "purple.500", "pink.500", "yellow.500"][i % 6],
    }));
    const conflicts: Series[] = [
      { label: "opened", data: sum(data, flows, "conflicts_opened"), color: "orange.500" },
      { label: "resolved", data: sum(data, flows, "conflicts_resolved"), color: "green.500" },
    ];
    const dead: Series[] = [
      { label: "new dead letters", data: sum(data, flows, "dead_letters"), color: "red.500" },
    ];
    const runs = flows.flatMap((flow) =>
      (data.durations[flow] ?? []).filter((r) => !r.dry_run).map((r) => ({ ...r, flow })),
    );
    runs.sort((a, b) => a.started_at.localeCompare(b.started_at));
    const durations: Series[] = [
      { label: "seconds per run", data: runs.map((r) => r.seconds), color: "purple.500", kind: "line" },
    ];
    const runLabels = runs.map((r) =>
      `#${r.id} ${f.flow ? "" : r.flow} ${label(r.started_at, "hour")}`.replace(/\s+/g, " "),
    );
    return { labels, synced, conflicts, dead, durations, runLabels };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, data]);

  return (
    <Box>
      <Filters>
        <FlowChoice flows={session.flows} value={f.flow} onChange={(v) => set({ flow: v })} />
        <Choice
          label="Per"
          value={f.bucket}
          options={[
            ["hour", "hour (last 48 h)"],
            ["day", "day (last 30 days)"],
          ]}
          onChange={(v) => set({ bucket: v })}
        />
      </Filters>
      {chart.error && <Notice tone="error">{chart.error}</Notice>}
      {!view ? (
        <Spinner />
      ) : (
        <SimpleGrid columns={{ base: 1, lg: 2 }} gap={4} data-testid="charts">
          <Panel title="Records synced (created, updated, deleted in both systems)">
            <ChartCanvas title="records synced" labels={view.labels} series={view.synced} stacked />
          </Panel>
          <Panel title="Conflicts opened and resolved">
            <ChartCanvas title="conflicts opened and resolved" labels={view.labels} series={view.conflicts} />
          </Panel>
          <Panel title="New dead letters">
            <ChartCanvas title="dead letters" labels={view.labels} series={view.dead} />
          </Panel>
          <Panel title="Run durations">
            {view.runLabels.length === 0 ? (
              <Text color="fg.muted">No finished runs in this window.</Text>
            ) : (
              <ChartCanvas title="run durations" labels={view.runLabels} series={view.durations} />
            )}
          </Panel>
        </SimpleGrid>
      )}
    </Box>
  );
}
