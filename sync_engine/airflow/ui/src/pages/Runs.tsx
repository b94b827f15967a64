import { Badge, Box, Spinner, Stack, Table, Text } from "@chakra-ui/react";
import { Fragment, useState } from "react";

import type { Page, RunDetail, RunRow, Session } from "../api";
import {
  AirflowLink,
  Choice,
  Filters,
  FlowChoice,
  ListPager,
  ListState,
  Notice,
  RecordCell,
} from "../components";
import { showSeconds, showTime, statusPalette } from "../format";
import { useApi, useFilters } from "../hooks";

const DEFAULTS = { flow: "", status: "", dry: "true", size: "50" };

export function Runs({ session }: { session: Session }) {
  const { values: f, set, page } = useFilters(DEFAULTS, "r.");
  const pageSize = Number(f.size) || 50;
  const list = useApi<Page<RunRow>>("runs", {
    flow: f.flow,
    status: f.status,
    dry_runs: f.dry,
    page,
    page_size: pageSize,
  });
  const [open, setOpen] = useState<number | null>(null);
  const rows = list.data?.rows ?? [];
  return (
    <Box>
      <Filters>
        <FlowChoice flows={session.flows} value={f.flow} onChange={(v) => set({ flow: v })} />
        <Choice
          label="Outcome"
          value={f.status}
          options={[["", "any"], "success", "partial", "failed", "running"]}
          onChange={(v) => set({ status: v })}
        />
        <Choice
          label="Dry runs (plan)"
          value={f.dry}
          options={[
            ["true", "shown"],
            ["false", "hidden"],
          ]}
          onChange={(v) => set({ dry: v })}
        />
      </Filters>
      <ListState
        error={list.error}
        waiting={list.loading && !list.data}
        empty={rows.length === 0}
        nothing="No runs yet."
      >
        <Table.Root size="sm" variant="outline" interactive data-testid="runs-table">
          <Table.Header>
            <Table.Row>
              <Table.ColumnHeader>Run</Table.ColumnHeader>
              <Table.ColumnHeader>Flow</Table.ColumnHeader>
              <Table.ColumnHeader>Started</Table.ColumnHeader>
              <Table.ColumnHeader>Took</Table.ColumnHeader>
              <Table.ColumnHeader>Outcome</Table.ColumnHeader>
              <Table.ColumnHeader>Per system: read · created · updated · deleted · failed</Table.ColumnHeader>
              <Table.ColumnHeader>Conflicts</Table.ColumnHeader>
              <Table.ColumnHeader>Dead letters</Table.ColumnHeader>
              <Table.ColumnHeader>In Airflow</Table.ColumnHeader>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {rows.map((row) => (
              <Fragment key={row.id}>
                <Table.Row
                  data-testid={`run-${row.id}`}
                  cursor="pointer"
                  onClick={() => setOpen(open === row.id ? null : row.id)}
                >
                  <Table.Cell>#{row.id}</Table.Cell>
                  <Table.Cell>{row.flow}</Table.Cell>
                  <Table.Cell>{showTime(row.started_at)}</Table.Cell>
                  <Table.Cell>{showSeconds(row.seconds)}</Table.Cell>
                  <Table.Cell>
                    <Badge colorPalette={statusPalette(row.status)}>{row.status}</Badge>
                    {row.dry_run && (
                      <Badge ml={1} variant="outline">
                        plan
                      </Badge>
                    )}
                    {row.error && (
                      <Text fontSize="xs" color="fg.error">
                        {row.error}
                      </Text>
                    )}
                  </Table.Cell>
                  <Table.Cell>
                    {Object.entries(row.systems).map(([system, c]) => (
                      <Text key={system} fontSize="sm">
                        {system}: {c.read} · {c.created} · {c.updated} · {c.deleted} · {c.failed}
                      </Text>
                    ))}
                  </Table.Cell>
                  <Table.Cell>{row.conflicts}</Table.Cell>
                  <Table.Cell>{row.dead_letters}</Table.Cell>
                  <Table.Cell onClick={(e) => e.stopPropagation()}>
                    {row.airflow ? (
                      <Stack gap={0} fontSize="sm">
                        <AirflowLink to={row.airflow.path}>DAG run</AirflowLink>
                        <AirflowLink to={row.airflow.logs_path}>logs</AirflowLink>
                      </Stack>
                    ) : (
                      <Text fontSize="xs" color="fg.muted">
                        command line
                      </Text>
                    )}
                  </Table.Cell>
                </Table.Row>
                {open === row.id && (
                  <Table.Row bg="bg.subtle">
                    <Table.Cell colSpan={9}>
                      <RunWrites id={row.id} />
                    </Table.Cell>
                  </Table.Row>
                )}
              </Fragment>
            ))}
          </Table.Body>
        </Table.Root>
      </ListState>
      <ListPager total={list.data?.total} page={page} pageSize={pageSize} set={set} />
    </Box>
  );
}

function RunWrites({ id }: { id: number }) {
  const detail = useApi<RunDetail>(`runs/${id}`);
  if (detail.error) return <Notice tone="error">{detail.error}</Notice>;
  if (!detail.data) return <Spinner size="sm" />;
  if (detail.data.writes.length === 0) return <Text color="fg.muted">This run wrote nothing.</Text>;
  return (
    <Stack gap={2}>
      <Text fontSize="sm" color="fg.muted">
        What run #{id} wrote{detail.data.writes.length >= 200 ? " (first 200)" : ""}:
      </Text>
      {detail.data.writes.map((w, i) => (
        <Box key={i} display="flex" gap={4} alignItems="flex-start">
          <Badge minW="4.5rem" justifyContent="center">
            {w.op} {w.system}
          </Badge>
          <RecordCell record={w.record} />
        </Box>
      ))}
    </Stack>
  );
}
