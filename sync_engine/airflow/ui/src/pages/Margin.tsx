import { Box, Button, Flex, Heading, Spinner, Stat, Table, Text } from "@chakra-ui/react";
import { useMemo } from "react";

import { apiUrl, type MarginRow } from "../api";
import { ChartCanvas, type Series } from "../ChartCanvas";
import { Choice, Filters, Notice, RecordCell } from "../components";
import { showMoney } from "../format";
import { useApi, useFilters } from "../hooks";

const DEFAULTS = { by: "customer" };
const HEADINGS: Record<string, string> = { customer: "Customer", product: "Product", order: "Order" };

interface MarginAnswer {
  by: string;
  rows: MarginRow[];
  skipped: string[];
}

function totals(rows: MarginRow[]) {
  const out: Record<string, { revenue: number; cost: number; margin: number }> = {};
  for (const row of rows) {
    const t = (out[row.currency] ??= { revenue: 0, cost: 0, margin: 0 });
    t.revenue += Number(row.revenue);
    t.cost += Number(row.cost);
    t.margin += Number(row.margin);
  }
  return out;
}

export function Margin() {
  const { values: f, set } = useFilters(DEFAULTS, "m.");
  const report = useApi<MarginAnswer>("margin", { by: f.by });
  const rows = report.data?.rows ?? [];
  const chart = useMemo(() => {
    const top = rows.slice(0, 15);
    const series: Series[] = [
      { label: "margin", data: top.map((r) => Number(r.margin)), color: "green.500" },
      { label: "cost", data: top.map((r) => Number(r.cost)), color: "orange.400" },
    ];
    return { labels: top.map((r) => `${r.label} (${r.currency})`), series };
  }, [rows]);
  const sums = totals(rows);

  return (
    <Box>
      <Text color="fg.muted" fontSize="sm" mb={3}>
        Revenue of the synced sales orders (confirmed, in process or done) against the ERP's costs: an order's
        actual cost where the ERP provides it, else the product's cost. Amounts are never converted between
        currencies.
      </Text>
      <Filters>
        <Choice
          label="Margin by"
          value={f.by}
          options={[
            ["customer", "customer"],
            ["product", "product"],
            ["order", "order"],
          ]}
          onChange={(v) => set({ by: v })}
        />
        <Button asChild size="sm" variant="outline">
          <a href={apiUrl("margin.csv", { by: f.by })} download>
            Export CSV
          </a>
        </Button>
      </Filters>
      {report.error && <Notice tone="error">{report.error}</Notice>}
      {(report.data?.skipped ?? []).map((s) => (
        <Notice key={s} tone="error">
          Left out: {s}
        </Notice>
      ))}
      {report.loading && !report.data ? (
        <Spinner />
      ) : rows.length === 0 ? (
        <Text color="fg.muted" py={4}>
          No confirmed sales orders synced yet: nothing to report.
        </Text>
      ) : (
        <>
          <Flex gap={6} wrap="wrap" mb={4} data-testid="margin-totals">
            {Object.entries(sums).map(([currency, t]) => (
              <Flex key={currency} gap={6}>
                <Stat.Root>
                  <Stat.Label>Revenue</Stat.Label>
                  <Stat.ValueText>{showMoney(t.revenue.toFixed(2), currency)}</Stat.ValueText>
                </Stat.Root>
                <Stat.Root>
                  <Stat.Label>Cost</Stat.Label>
                  <Stat.ValueText>{showMoney(t.cost.toFixed(2), currency)}</Stat.ValueText>
                </Stat.Root>
                <Stat.Root>
                  <Stat.Label>Margin</Stat.Label>
                  <Stat.ValueText data-testid={`total-margin-${currency}`}>
                    {showMoney(t.margin.toFixed(2), currency)}
                  </Stat.ValueText>
                </Stat.Root>
              </Flex>
            ))}
          </Flex>
          <Box borderWidth="1px" borderRadius="md" p={3} mb={4} bg="bg.panel">
            <Heading size="sm" mb={2}>
              Margin and cost by {f.by} (largest margin first)
            </Heading>
            <ChartCanvas
              title={`margin by ${f.by}`}
              labels={chart.labels}
              series={chart.series}
              stacked
              height={260}
            />
          </Box>
          <Table.Root size="sm" variant="outline" data-testid="margin-table">
            <Table.Header>
              <Table.Row>
                <Table.ColumnHeader>{HEADINGS[f.by]}</Table.ColumnHeader>
                {f.by === "order" && <Table.ColumnHeader>Customer</Table.ColumnHeader>}
                <Table.ColumnHeader textAlign="end">Orders</Table.ColumnHeader>
                <Table.ColumnHeader textAlign="end">Revenue</Table.ColumnHeader>
                <Table.ColumnHeader textAlign="end">Cost</Table.ColumnHeader>
                <Table.ColumnHeader textAlign="end">Margin</Table.ColumnHeader>
                <Table.ColumnHeader textAlign="end">Margin %</Table.ColumnHeader>
                <Table.ColumnHeader textAlign="end">Lines without cost</Table.ColumnHeader>
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {rows.map((row) => (
                <Table.Row key={`${row.key}-${row.currency}`} data-testid={`margin-row-${row.label}`}>
                  <Table.Cell>
                    <RecordCell record={row.record} fallback={row.label} />
                  </Table.Cell>
                  {f.by === "order" && <Table.Cell>{row.customer}</Table.Cell>}
                  <Table.Cell textAlign="end">{row.orders}</Table.Cell>
                  <Table.Cell textAlign="end" data-testid="revenue">
                    {showMoney(row.revenue, row.currency)}
                  </Table.Cell>
                  <Table.Cell textAlign="end" data-testid="cost">
                    {showMoney(row.cost, row.currency)}
                    {row.actual_cost_lines > 0 && (
                      <Text fontSize="xs" color="fg.muted">
                        {row.actual_cost_lines} line(s) at actual order cost
                      </Text>
                    )}
                  </Table.Cell>
                  <Table.Cell textAlign="end" fontWeight="semibold" data-testid="margin">
                    {showMoney(row.margin, row.currency)}
                  </Table.Cell>
                  <Table.Cell textAlign="end" data-testid="margin-percent">
                    {row.margin_percent === null ? "—" : `${row.margin_percent} %`}
                  </Table.Cell>
                  <Table.Cell textAlign="end">{row.lines_without_cost || ""}</Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table.Root>
        </>
      )}
    </Box>
  );
}
