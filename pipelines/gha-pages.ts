// The nightly's dashboard on GitHub Pages: the report job builds it from the history it restored
// (tonight's runs recorded) with tonight's run reports copied in, uploads it as the Pages artifact,
// and a job of its own, the only one allowed to write Pages, deploys it.
import type { Job, Step } from "./gha.ts";

export const UPLOAD_PAGES = "actions/upload-pages-artifact@v4";
export const DEPLOY_PAGES = "actions/deploy-pages@v4";
export const SITE_DIR = "dpu-ci-site";

/** Steps at the end of the report job. */
export function dashboardSteps(): Step[] {
  return [
    { name: "Build the dashboard", if: "!cancelled()", run: `npx dpu-ci dashboard --out ${SITE_DIR} --copy-reports` },
    { name: "Upload the dashboard for Pages", if: "!cancelled()", uses: UPLOAD_PAGES, with: { path: SITE_DIR } },
  ];
}

/** Deploys what the report job uploaded; Pages and OIDC permissions for this job only. */
export function pagesJob(after: string): Job {
  return {
    name: "publish the dashboard on GitHub Pages",
    "runs-on": "ubuntu-latest",
    "timeout-minutes": 10,
    needs: [after],
    if: `!cancelled() && needs.${after}.result == 'success'`,
    permissions: { pages: "write", "id-token": "write", actions: "read" },
    environment: { name: "github-pages", url: "${{ steps.deployment.outputs.page_url }}" },
    steps: [{ name: "Deploy to GitHub Pages", id: "deployment", uses: DEPLOY_PAGES }],
  };
}
