// Small building blocks shared by the pages, made of Airflow's own Chakra components and tokens.
import {
  Badge,
  Box,
  Button,
  Checkbox,
  Flex,
  HStack,
  Input,
  Link,
  NativeSelect,
  Spinner,
  Stack,
  Text,
} from "@chakra-ui/react";
import type { ReactNode } from "react";
import { Link as RouterLink } from "react-router-dom";

import type { RecordRef, SystemRef } from "./api";

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={1} minW="9rem">
      <Text fontSize="xs" color="fg.muted">
        {label}
      </Text>
      {children}
    </Stack>
  );
}

export function Choice(props: {
  label: string;
  value: string;
  options: (string | [string, string])[];
  onChange: (value: string) => void;
}) {
  return (
    <Field label={props.label}>
      <NativeSelect.Root size="sm">
        <NativeSelect.Field
          aria-label={props.label}
          value={props.value}
          onChange={(e) => props.onChange(e.currentTarget.value)}
        >
          {props.options.map((option) => {
            const [value, text] = Array.isArray(option) ? option : [option, option];
            return (
              <option key={value} value={value}>
                {text}
              </option>
            );
          })}
        </NativeSelect.Field>
        <NativeSelect.Indicator />
      </NativeSelect.Root>
    </Field>
  );
}

export function TextFilter(props: {
  label: string;
  value: string;
  placeholder?: string;
  onChange: (v: string) => void;
}) {
  return (
    <Field label={props.label}>
      <Input
        size="sm"
        aria-label={props.label}
        defaultValue={props.value}
        placeholder={props.placeholder}
        onKeyDown={(e) => e.key === "Enter" && props.onChange(e.currentTarget.value.trim())}
        onBlur={(e) =>
          e.currentTarget.value.trim() !== props.value && props.onChange(e.currentTarget.value.trim())
        }
      />
    </Field>
  );
}

export function Filters({ children }: { children: ReactNode }) {
  return (
    <Flex gap={3} wrap="wrap" align="flex-end" mb={3}>
      {children}
    </Flex>
  );
}

const ROLE_LABEL: Record<string, string> = { erp: "ERP", crm: "CRM" };

/** One system's id of a record, linked to the record in that system's own UI where known. */
export function SystemId({ system }: { system: SystemRef }) {
  const label = `${ROLE_LABEL[system.role ?? ""] ?? system.system} ${system.connector}`;
  return (
    <HStack gap={1} fontSize="xs" data-testid={`id-${system.role ?? system.system}`}>
      <Badge size="xs" variant="subtle" colorPalette={system.role === "erp" ? "blue" : "purple"}>
        {label}
      </Badge>
      {system.id === null ? (
        <Text color="fg.muted">not there yet</Text>
      ) : system.url ? (
        <Link
          href={system.url}
          target="_blank"
          rel="noopener noreferrer"
          color="fg.info"
          aria-label={`open in ${label}: ${system.id}`}
        >
          {system.id} ↗
        </Link>
      ) : (
        <Text fontFamily="mono">{system.id}</Text>
      )}
    </HStack>
  );
}

/** A record as people know it: its name, what it belongs to, both systems' ids and links. */
export function RecordCell({ record, fallback }: { record: RecordRef | null; fallback?: string }) {
  const name = record?.name ?? fallback ?? record?.canonical_id ?? "unnamed record";
  return (
    <Stack gap={1}>
      <Text fontWeight="semibold" data-testid="record-name">
        {name}
      </Text>
      {record?.owner && (
        <Text fontSize="xs" color="fg.muted">
          {record.owner}
        </Text>
      )}
      {(record?.systems ?? []).map((s) => (
        <SystemId key={s.system} system={s} />
      ))}
    </Stack>
  );
}

export function Pager(props: {
  total: number;
  page: number;
  pageSize: number;
  onPage: (page: number) => void;
  onPageSize: (size: number) => void;
}) {
  const last = Math.max(1, Math.ceil(props.total / props.pageSize));
  const first = props.total === 0 ? 0 : (props.page - 1) * props.pageSize + 1;
  const upTo = Math.min(props.total, props.page * props.pageSize);
  return (
    <Flex justify="space-between" align="center" mt={3} gap={3} wrap="wrap">
      <Text fontSize="sm" color="fg.muted" data-testid="pager-range">
        {first}–{upTo} of {props.total}
      </Text>
      <HStack gap={2}>
        <NativeSelect.Root size="xs" width="7rem">
          <NativeSelect.Field
            aria-label="rows per page"
            value={String(props.pageSize)}
            onChange={(e) => props.onPageSize(Number(e.currentTarget.value))}
          >
            {[25, 50, 100, 200].map((n) => (
              <option key={n} value={n}>
                {n} per page
              </option>
            ))}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
        <Button
          size="xs"
          variant="outline"
          disabled={props.page <= 1}
          onClick={() => props.onPage(props.page - 1)}
        >
          Previous
        </Button>
        <Text fontSize="sm">
          {props.page} / {last}
        </Text>
        <Button
          size="xs"
          variant="outline"
          disabled={props.page >= last}
          onClick={() => props.onPage(props.page + 1)}
        >
          Next
        </Button>
      </HStack>
    </Flex>
  );
}

export function AirflowLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Link asChild color="fg.info">
      <RouterLink to={`/${to}`}>{children}</RouterLink>
    </Link>
  );
}

export function Notice({ tone, children }: { tone: "info" | "error" | "success"; children: ReactNode }) {
  const palette = tone === "error" ? "red" : tone === "success" ? "green" : "blue";
  return (
    <Box
      role={tone === "error" ? "alert" : "status"}
      borderWidth="1px"
      borderColor={`${palette}.muted`}
      bg={`${palette}.subtle`}
      color={`${palette}.fg`}
      borderRadius="md"
      px={3}
      py={2}
      my={2}
    >
      {children}
    </Box>
  );
}

export function FlowChoice(props: {
  flows: { name: string }[];
  value: string;
  onChange: (v: string) => void;
}) {
  return (
    <Choice
      label="Flow"
      value={props.value}
      options={[["", "all flows"], ...props.flows.map((f) => f.name)]}
      onChange={props.onChange}
    />
  );
}

/** A row's checkbox: the box a person clicks, labelled for screen readers. */
export function SelectBox(props: { label: string; checked: boolean; onChange: (on: boolean) => void }) {
  return (
    <Checkbox.Root
      size="sm"
      aria-label={props.label}
      checked={props.checked}
      onCheckedChange={(e) => props.onChange(!!e.checked)}
    >
      <Checkbox.HiddenInput />
      <Checkbox.Control />
    </Checkbox.Root>
  );
}

export function SelectionBar({ count, children }: { count: number; children: ReactNode }) {
  if (count === 0) return null;
  return (
    <Flex
      gap={2}
      align="center"
      wrap="wrap"
      p={2}
      mb={2}
      borderWidth="1px"
      borderRadius="md"
      bg="bg.muted"
      data-testid="bulk-bar"
    >
      <Text fontSize="sm" fontWeight="semibold">
        {count} selected
      </Text>
      {children}
    </Flex>
  );
}

/** A list's error, spinner or "nothing here" line, else the list itself. */
export function ListState(props: {
  error?: string;
  waiting: boolean;
  empty: boolean;
  nothing: string;
  children: ReactNode;
}) {
  return (
    <>
      {props.error && <Notice tone="error">{props.error}</Notice>}
      {props.waiting ? (
        <Spinner />
      ) : props.empty ? (
        <Text color="fg.muted" py={4}>
          {props.nothing}
        </Text>
      ) : (
        props.children
      )}
    </>
  );
}

export function ListPager(props: {
  total: number | undefined;
  page: number;
  pageSize: number;
  set: (changes: { page?: string; size?: string }) => void;
}) {
  if (props.total === undefined) return null;
  return (
    <Pager
      total={props.total}
      page={props.page}
      pageSize={props.pageSize}
      onPage={(p) => props.set({ page: String(p) })}
      onPageSize={(n) => props.set({ size: String(n) })}
    />
  );
}
