import { Badge, Box, Button, Table, Text } from "@chakra-ui/react";

import type { DeadLetterRow, Page, Session } from "../api";
import {
  Choice,
  Filters,
  FlowChoice,
  ListPager,
  ListState,
  RecordCell,
  SelectBox,
  SelectionBar,
} from "../components";
import { showTime, statusPalette } from "../format";
import { useApi, useFilters, useSelection } from "../hooks";
import { DecisionNotice, useDecision } from "../RunFlowNow";

const DEFAULTS = { status: "open", flow: "", stage: "", sort: "-created", size: "50" };
const STAGES = ["read", "map", "validate", "identify", "write", "reference"];

export function DeadLetters({ session }: { session: Session }) {
  const { values: f, set, page } = useFilters(DEFAULTS, "d.");
  const pageSize = Number(f.size) || 50;
  const list = useApi<Page<DeadLetterRow>>("dead-letters", {
    status: f.status,
    flow: f.flow,
    stage: f.stage,
    sort: f.sort,
    page,
    page_size: pageSize,
  });
  const { selected, toggle, clear } = useSelection();
  const rows = list.data?.rows ?? [];
  const selectable = rows.filter((r) => r.can_retry);

  const { busy, outcome, send } = useDecision(session, "dead-letters/retry", () => {
    clear();
    list.reload();
  });
  const retry = () => send({ ids: [...selected] });

  return (
    <Box>
      <Filters>
        <Choice
          label="Status"
          value={f.status}
          options={["open", "retrying", "resolved", "all"]}
          onChange={(v) => set({ status: v })}
        />
        <FlowChoice flows={session.flows} value={f.flow} onChange={(v) => set({ flow: v })} />
        <Choice
          label="Stage"
          value={f.stage}
          options={[["", "all stages"], ...STAGES]}
          onChange={(v) => set({ stage: v })}
        />
        <Choice
          label="Sort"
          value={f.sort}
          options={[
            ["-created", "newest first"],
            ["created", "oldest first"],
            ["-attempts", "most attempts"],
            ["flow", "flow"],
          ]}
          onChange={(v) => set({ sort: v })}
        />
      </Filters>
      <DecisionNotice
        outcome={outcome}
        session={session}
        summary={(done, flows) =>
          `${done} record(s) marked for retry: the next run of ${flows.join(", ") || "their flows"} reads them again.`
        }
      />
      <SelectionBar count={selected.size}>
        <Button size="sm" colorPalette="blue" loading={busy} onClick={retry}>
          Retry
        </Button>
      </SelectionBar>
      <ListState
        error={list.error}
        waiting={list.loading && !list.data}
        empty={rows.length === 0}
        nothing={`No ${f.status === "all" ? "" : f.status} dead letters.`}
      >
        <Table.Root size="sm" variant="outline" data-testid="dead-letters-table">
          <Table.Header>
            <Table.Row>
              <Table.ColumnHeader width="2.5rem" />
              <Table.ColumnHeader>Record</Table.ColumnHeader>
              <Table.ColumnHeader>Flow</Table.ColumnHeader>
              <Table.ColumnHeader>Failed in</Table.ColumnHeader>
              <Table.ColumnHeader>Reason</Table.ColumnHeader>
              <Table.ColumnHeader>Tries</Table.ColumnHeader>
              <Table.ColumnHeader>Last failure</Table.ColumnHeader>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {rows.map((row) => (
              <Table.Row key={row.id} data-testid={`dead-letter-${row.id}`}>
                <Table.Cell>
                  {row.can_retry && (
                    <SelectBox
                      label={`select dead letter ${row.id}`}
                      checked={selected.has(row.id)}
                      onChange={(on) => toggle(row.id, on)}
                    />
                  )}
                </Table.Cell>
                <Table.Cell>
                  <RecordCell record={row.record} fallback={row.external_id ?? undefined} />
                </Table.Cell>
                <Table.Cell>{row.flow}</Table.Cell>
                <Table.Cell>
                  <Text>
                    {row.system} · {row.stage}
                  </Text>
                  {row.field && (
                    <Text fontFamily="mono" fontSize="sm">
                      {row.field}
                    </Text>
                  )}
                </Table.Cell>
                <Table.Cell maxW="32rem">
                  <Text fontSize="sm" whiteSpace="pre-wrap">
                    {row.reason}
                  </Text>
                </Table.Cell>
                <Table.Cell>
                  {row.attempts}{" "}
                  <Badge size="xs" colorPalette={statusPalette(row.status)}>
                    {row.status}
                  </Badge>
                </Table.Cell>
                <Table.Cell>{showTime(row.updated_at)}</Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table.Root>
      </ListState>
      {list.data && selectable.length > 0 && selected.size === 0 && (
        <Text fontSize="xs" color="fg.muted" mt={2}>
          Select records to retry them; the next run of their flow reads them again.
        </Text>
      )}
      <ListPager total={list.data?.total} page={page} pageSize={pageSize} set={set} />
    </Box>
  );
}
