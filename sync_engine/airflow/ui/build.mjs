// Builds dist/ops.js: the SyncHub page as the Airflow UI loads plugin apps (AIP-68 React apps).
//
// The Airflow UI imports the bundle and renders the component it leaves in globalThis.AirflowPlugin.
// React, its JSX runtime, React Router and Chakra UI are the host's own (it publishes them on
// globalThis): bundling second copies would break hooks and lose Airflow's theme, so imports of
// them are resolved to those globals. Everything else (Chart.js) is bundled; nothing loads from a CDN.
import { build } from "esbuild";

const HOST_GLOBALS = {
  react: "React",
  "react-dom": "ReactDOM",
  "react/jsx-runtime": "ReactJSXRuntime",
  "react-router-dom": "ReactRouterDOM",
  "@chakra-ui/react": "ChakraUI",
};

const fromHost = {
  name: "airflow-host-globals",
  setup(b) {
    const names = Object.keys(HOST_GLOBALS).map((n) => n.replace(/[/]/g, "\\/"));
    b.onResolve({ filter: new RegExp(`^(${names.join("|")})$`) }, (args) => ({
      path: args.path,
      namespace: "host",
    }));
    b.onLoad({ filter: /.*/, namespace: "host" }, (args) => ({
      contents:
        `const m = globalThis[${JSON.stringify(HOST_GLOBALS[args.path])}];\n` +
        `if (!m) throw new Error("the Airflow UI does not provide ${args.path} (Airflow 3.3 does)");\n` +
        "module.exports = m;\n",
      loader: "js",
    }));
  },
};

await build({
  entryPoints: ["src/main.tsx"],
  outfile: "dist/ops.js",
  bundle: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  minify: true,
  legalComments: "none",
  define: { "process.env.NODE_ENV": '"production"' },
  plugins: [fromHost],
  logLevel: "warning",
});
