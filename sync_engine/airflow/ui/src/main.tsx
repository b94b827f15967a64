// The SyncHub page in the Airflow UI: conflicts, dead letters, runs, charts and the margin report.
//
// Airflow imports this bundle and renders the component in globalThis.AirflowPlugin inside its own
// layout, so the page uses Airflow's React, router and Chakra UI, and with them its light/dark theme.
import { Badge, Box, Flex, Heading, Spinner, Tabs, Text } from "@chakra-ui/react";
import { useSearchParams } from "react-router-dom";

import type { Session } from "./api";
import { Notice } from "./components";
import { useApi } from "./hooks";
import { Charts } from "./pages/Charts";
import { Conflicts } from "./pages/Conflicts";
import { DeadLetters } from "./pages/DeadLetters";
import { Margin } from "./pages/Margin";
import { Runs } from "./pages/Runs";

const TABS = [
  ["conflicts", "Conflicts"],
  ["dead-letters", "Dead letters"],
  ["runs", "Runs"],
  ["charts", "Charts"],
  ["margin", "Margin"],
] as const;

function SyncHubPage() {
  const session = useApi<Session>("session");
  const [search, setSearch] = useSearchParams();
  const tab = search.get("tab") ?? "conflicts";
  const data = session.data;
  return (
    <Box p={2} data-testid="synchub-page">
      <Flex justify="space-between" align="baseline" mb={3} wrap="wrap" gap={2}>
        <Heading size="lg">SyncHub</Heading>
        {data && (
          <Text fontSize="sm" color="fg.muted">
            {data.flows.length} flows ·{" "}
            {Object.entries(data.systems)
              .map(([name, s]) => `${name}: ${s.connector}`)
              .join(" · ")}{" "}
            · signed in as <Badge variant="outline">{data.user}</Badge>
          </Text>
        )}
      </Flex>
      {session.error && <Notice tone="error">{session.error}</Notice>}
      {!data ? (
        session.loading && <Spinner />
      ) : (
        <Tabs.Root
          value={tab}
          variant="line"
          lazyMount
          unmountOnExit
          onValueChange={(e) => setSearch(new URLSearchParams({ tab: e.value }), { replace: false })}
        >
          <Tabs.List>
            {TABS.map(([value, title]) => (
              <Tabs.Trigger key={value} value={value}>
                {title}
              </Tabs.Trigger>
            ))}
          </Tabs.List>
          <Box pt={4}>
            <Tabs.Content value="conflicts">
              <Conflicts session={data} />
            </Tabs.Content>
            <Tabs.Content value="dead-letters">
              <DeadLetters session={data} />
            </Tabs.Content>
            <Tabs.Content value="runs">
              <Runs session={data} />
            </Tabs.Content>
            <Tabs.Content value="charts">
              <Charts session={data} />
            </Tabs.Content>
            <Tabs.Content value="margin">
              <Margin />
            </Tabs.Content>
          </Box>
        </Tabs.Root>
      )}
    </Box>
  );
}

(globalThis as { AirflowPlugin?: unknown }).AirflowPlugin = SyncHubPage;

export default SyncHubPage;
