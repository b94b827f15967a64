// Chart.js (bundled) drawn in the colours of Airflow's theme, redrawn when the theme changes.
import { Box } from "@chakra-ui/react";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "react";

import { useDarkMode } from "./hooks";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

/** A colour of the Airflow theme (a Chakra token's CSS variable), e.g. ``blue.500`` or ``fg.muted``. */
export function themeColor(token: string): string {
  const name = `--chakra-colors-${token.replace(/\./g, "-")}`;
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

export interface Series {
  label: string;
  data: number[];
  color: string;
  kind?: "bar" | "line";
}

export function ChartCanvas(props: {
  labels: string[];
  series: Series[];
  height?: number;
  title: string;
  stacked?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const dark = useDarkMode();
  useEffect(() => {
    if (!canvas.current) return;
    const text = themeColor("fg.muted");
    const grid = themeColor("border.muted");
    const config: ChartConfiguration<"bar" | "line"> = {
      type: "bar",
      data: {
        labels: props.labels,
        datasets: props.series.map((s) => ({
          type: s.kind ?? "bar",
          label: s.label,
          data: s.data,
          backgroundColor: themeColor(s.color),
          borderColor: themeColor(s.color),
          borderWidth: s.kind === "line" ? 2 : 0,
          pointRadius: s.kind === "line" ? 2 : 0,
          maxBarThickness: 56,
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { labels: { color: text } } },
        scales: {
          x: {
            stacked: props.stacked,
            ticks: { color: text, maxRotation: 0, autoSkip: true },
            grid: { color: grid },
          },
          y: {
            stacked: props.stacked,
            beginAtZero: true,
            ticks: { color: text, precision: 0 },
            grid: { color: grid },
          },
        },
      },
    };
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
  }, [props.labels, props.series, props.stacked, dark]);
  return (
    <Box height={`${props.height ?? 220}px`} position="relative">
      <canvas ref={canvas} role="img" aria-label={props.title} />
    </Box>
  );
}
