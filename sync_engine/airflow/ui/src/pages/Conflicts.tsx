import { Badge, Box, Button, HStack, Input, Stack, Table, Text } from "@chakra-ui/react";
import { Fragment, useState } from "react";

import type { ConflictRow, Page, Session } from "../api";
import {
  Choice,
  Filters,
  FlowChoice,
  ListPager,
  ListState,
  RecordCell,
  SelectBox,
  SelectionBar,
  TextFilter,
} from "../components";
import { showAge, showTime, showValue } from "../format";
import { useApi, useFilters, useSelection } from "../hooks";
import { DecisionNotice, useDecision } from "../RunFlowNow";

const DEFAULTS = {
  status: "open",
  flow: "",
  entity: "",
  field: "",
  older_than: "",
  sort: "opened",
  size: "50",
};

function ChangedAt({ row, role }: { row: ConflictRow; role: string }) {
  const changed = row.changed_at[role];
  if (!changed) return <Text color="fg.muted">—</Text>;
  return (
    <Stack gap={0}>
      <Text>{showTime(changed.at)}</Text>
      <Text fontSize="xs" color="fg.muted">
        {changed.source === "system" ? "the system's change time" : "first seen by SyncHub"}
      </Text>
    </Stack>
  );
}

export function Conflicts({ session }: { session: Session }) {
  const { values: f, set, page } = useFilters(DEFAULTS, "c.");
  const pageSize = Number(f.size) || 50;
  const list = useApi<Page<ConflictRow>>("conflicts", {
    status: f.status,
    flow: f.flow,
    entity: f.entity,
    field: f.field,
    older_than: f.older_than,
    sort: f.sort,
    page,
    page_size: pageSize,
  });
  const { selected, toggle, setAll, clear } = useSelection();
  const [open, setOpen] = useState<number | null>(null);
  const rows = list.data?.rows ?? [];
  const selectable = rows.filter((r) => r.can_resolve);
  const entities = [...new Set(session.flows.map((fl) => fl.entity))].sort();

  const { busy, outcome, send } = useDecision(session, "conflicts/resolve", () => {
    clear();
    setOpen(null);
    list.reload();
  });
  const resolve = (ids: number[], choice: Choice, value?: string) => send({ ids, choice, value });

  return (
    <Box>
      <Filters>
        <Choice
          label="Status"
          value={f.status}
          options={["open", "resolved", "applied", "superseded", "all"]}
          onChange={(v) => set({ status: v })}
        />
        <FlowChoice flows={session.flows} value={f.flow} onChange={(v) => set({ flow: v })} />
        <Choice
          label="Entity"
          value={f.entity}
          options={[["", "all entities"], ...entities]}
          onChange={(v) => set({ entity: v })}
        />
        <TextFilter
          label="Field"
          value={f.field}
          placeholder="name, credit_limit"
          onChange={(v) => set({ field: v })}
        />
        <TextFilter
          label="Older than"
          value={f.older_than}
          placeholder="2h, 7d"
          onChange={(v) => set({ older_than: v })}
        />
        <Choice
          label="Sort"
          value={f.sort}
          onChange={(v) => set({ sort: v })}
          options={[
            ["opened", "oldest first"],
            ["-opened", "newest first"],
            ["flow", "flow"],
            ["entity", "entity"],
            ["field", "field"],
            ["-updated", "last changed"],
          ]}
        />
      </Filters>

      <DecisionNotice
        outcome={outcome}
        session={session}
        summary={(done, flows) =>
          `${done} conflict${done === 1 ? "" : "s"} resolved` +
          (flows.length
            ? `: the next run of ${flows.join(", ")} writes the chosen values to both systems.`
            : ".")
        }
      />

      <SelectionBar count={selected.size}>
        <ResolveButtons plural busy={busy} onResolve={(choice, v) => resolve([...selected], choice, v)} />
        <Button size="sm" variant="ghost" onClick={clear}>
          Clear
        </Button>
      </SelectionBar>

      <ListState
        error={list.error}
        waiting={list.loading && !list.data}
        empty={rows.length === 0}
        nothing={`No ${f.status === "all" ? "" : f.status} conflicts${f.flow || f.entity || f.field || f.older_than ? " match the filters" : ""}.`}
      >
        <Table.Root size="sm" variant="outline" interactive data-testid="conflicts-table">
          <Table.Header>
            <Table.Row>
              <Table.ColumnHeader width="2.5rem">
                {selectable.length > 0 && (
                  <SelectBox
                    label="select all conflicts on this page"
                    checked={selectable.every((r) => selected.has(r.id))}
                    onChange={(on) => (on ? setAll(selectable.map((r) => r.id)) : clear())}
                  />
                )}
              </Table.ColumnHeader>
              <Table.ColumnHeader>Record</Table.ColumnHeader>
              <Table.ColumnHeader>Flow · field</Table.ColumnHeader>
              <Table.ColumnHeader>ERP value</Table.ColumnHeader>
              <Table.ColumnHeader>CRM value</Table.ColumnHeader>
              <Table.ColumnHeader>Changed in ERP</Table.ColumnHeader>
              <Table.ColumnHeader>Changed in CRM</Table.ColumnHeader>
              <Table.ColumnHeader>Open for</Table.ColumnHeader>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {rows.map((row) => (
              <Fragment key={row.id}>
                <Table.Row
                  data-testid={`conflict-${row.id}`}
                  onClick={() => setOpen(open === row.id ? null : row.id)}
                  cursor="pointer"
                >
                  <Table.Cell onClick={(e) => e.stopPropagation()}>
                    {row.can_resolve && (
                      <SelectBox
                        label={`select conflict ${row.id}`}
                        checked={selected.has(row.id)}
                        onChange={(on) => toggle(row.id, on)}
                      />
                    )}
                  </Table.Cell>
                  <Table.Cell onClick={(e) => e.stopPropagation()}>
                    <RecordCell record={row.record} />
                  </Table.Cell>
                  <Table.Cell>
                    <Text>{row.flow}</Text>
                    <Text fontFamily="mono" fontSize="sm">
                      {row.field}
                    </Text>
                    {row.kind !== "field" && <Badge colorPalette="orange">{row.kind}</Badge>}
                  </Table.Cell>
                  <Table.Cell>{showValue(row.values.erp)}</Table.Cell>
                  <Table.Cell>{showValue(row.values.crm)}</Table.Cell>
                  <Table.Cell>
                    <ChangedAt row={row} role="erp" />
                  </Table.Cell>
                  <Table.Cell>
                    <ChangedAt row={row} role="crm" />
                  </Table.Cell>
                  <Table.Cell>
                    {row.status === "open" ? (
                      showAge(row.age_seconds)
                    ) : (
                      <Badge colorPalette="green">{row.status}</Badge>
                    )}
                  </Table.Cell>
                </Table.Row>
                {open === row.id && (
                  <Table.Row bg="bg.subtle">
                    <Table.Cell colSpan={8}>
                      <ConflictDetail
                        row={row}
                        busy={busy}
                        onResolve={(choice, v) => resolve([row.id], choice, v)}
                      />
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

function ConflictDetail(props: {
  row: ConflictRow;
  busy: boolean;
  onResolve: (choice: Choice, value?: string) => void;
}) {
  const { row } = props;
  return (
    <Stack gap={3} py={2} data-testid="conflict-detail">
      <HStack gap={6} align="flex-start" wrap="wrap">
        <Stack gap={0}>
          <Text fontSize="xs" color="fg.muted">
            last synced (base)
          </Text>
          <Text>{showValue(row.base)}</Text>
        </Stack>
        <Stack gap={0}>
          <Text fontSize="xs" color="fg.muted">
            ERP now
          </Text>
          <Text>{showValue(row.values.erp)}</Text>
        </Stack>
        <Stack gap={0}>
          <Text fontSize="xs" color="fg.muted">
            CRM now
          </Text>
          <Text>{showValue(row.values.crm)}</Text>
        </Stack>
        <Stack gap={0}>
          <Text fontSize="xs" color="fg.muted">
            opened
          </Text>
          <Text>
            {showTime(row.opened_at)}
            {row.run_id ? ` by run #${row.run_id}` : ""}
          </Text>
        </Stack>
      </HStack>
      {row.status !== "open" && (
        <Text fontSize="sm">
          Resolved with {row.resolution} ({showValue(row.resolved_value)}) by {row.resolved_by ?? "unknown"}{" "}
          at {showTime(row.resolved_at)}.
        </Text>
      )}
      {row.can_resolve && (
        <HStack gap={2} wrap="wrap">
          <ResolveButtons busy={props.busy} onResolve={props.onResolve} />
        </HStack>
      )}
    </Stack>
  );
}

type Choice = "erp" | "crm" | "value";

/** Take the ERP's value, the CRM's, or an entered one: for one conflict or for all selected. */
function ResolveButtons(props: {
  plural?: boolean;
  busy: boolean;
  onResolve: (choice: Choice, value?: string) => void;
}) {
  const [value, setValue] = useState("");
  const s = props.plural ? "s" : "";
  return (
    <>
      <Button size="sm" colorPalette="blue" loading={props.busy} onClick={() => props.onResolve("erp")}>
        Take ERP value{s}
      </Button>
      <Button size="sm" colorPalette="purple" loading={props.busy} onClick={() => props.onResolve("crm")}>
        Take CRM value{s}
      </Button>
      <HStack gap={1}>
        <Input
          size="sm"
          width="15rem"
          aria-label={props.plural ? "value for the selected conflicts" : "value for this conflict"}
          placeholder="or a value (JSON or text)"
          value={value}
          onChange={(e) => setValue(e.currentTarget.value)}
        />
        <Button
          size="sm"
          variant="outline"
          disabled={!value}
          loading={props.busy}
          onClick={() => props.onResolve("value", value)}
        >
          Use this value
        </Button>
      </HStack>
    </>
  );
}
