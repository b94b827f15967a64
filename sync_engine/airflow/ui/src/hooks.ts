import { useCallback, useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router-dom";

import { getJson, type Params } from "./api";

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** GET ``path`` with ``params``; reloads when they change, keeps the last data while loading. */
export function useApi<T>(path: string | null, params: Params = {}): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(params);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoading(true);
    getJson<T>(path, JSON.parse(key) as Params)
      .then((found) => {
        if (live) {
          setData(found);
          setError(undefined);
        }
      })
      .catch((exc: unknown) => live && setError(exc instanceof Error ? exc.message : String(exc)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [path, key, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

/** Filters kept in the page's URL (shareable, survive a reload); setting one goes back to page 1. */
export function useFilters<K extends string>(defaults: Record<K, string>, prefix: string) {
  const [search, setSearch] = useSearchParams();
  const values = {} as Record<K, string>;
  for (const key of Object.keys(defaults) as K[]) {
    values[key] = search.get(`${prefix}${key}`) ?? defaults[key];
  }
  const set = (changes: Partial<Record<K | "page", string>>) => {
    const next = new URLSearchParams(search);
    if (!("page" in changes)) next.delete(`${prefix}page`);
    for (const [key, value] of Object.entries(changes) as [string, string | undefined][]) {
      const fallback = (defaults as Record<string, string>)[key];
      if (value === undefined || value === "" || value === fallback) next.delete(`${prefix}${key}`);
      else next.set(`${prefix}${key}`, value);
    }
    setSearch(next, { replace: true });
  };
  const page = Number(search.get(`${prefix}page`) ?? "1") || 1;
  return { values, set, page };
}

/** Whether the Airflow UI shows its dark theme now (it toggles a class on the root element). */
export function useDarkMode(): boolean {
  const read = () => document.documentElement.classList.contains("dark");
  const [dark, setDark] = useState(read);
  const observer = useRef<MutationObserver | null>(null);
  useEffect(() => {
    observer.current = new MutationObserver(() => setDark(read()));
    observer.current.observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["class", "style"],
    });
    return () => observer.current?.disconnect();
  }, []);
  return dark;
}

/** Ids a person ticked in a list. */
export function useSelection() {
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const toggle = (id: number, on: boolean) =>
    setSelected((old) => {
      const next = new Set(old);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  return {
    selected,
    toggle,
    setAll: (ids: number[]) => setSelected(new Set(ids)),
    clear: () => setSelected(new Set()),
  };
}
