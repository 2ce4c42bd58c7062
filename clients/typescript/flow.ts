// The onboarding flow as the UI walks it, through the client generated from openapi.yaml
// with openapi-typescript + openapi-fetch: compiled with `tsc --strict` (no `any`, no
// casts), then run against a started api and a local website.
//
//   ONBOARD_URL=http://127.0.0.1:18091 SITE_DOMAIN=127.0.0.1:18092 node flow.js

import assert from "node:assert/strict";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type Schemas = components["schemas"];

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24">' +
  '<circle cx="12" cy="12" r="10" fill="#1A6B54"/></svg>';
const DEADLINE_MS = 60_000;

function setting(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const client = createClient<paths>({ baseUrl: setting("ONBOARD_URL") });
const site = setting("SITE_DOMAIN");

/** A refused call, with the API's stable code and its message for people. */
function refused(step: string, error: Schemas["ErrorBody"]): never {
  throw new Error(`${step}: ${error.error}: ${error.message}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function startGuest(): Promise<string> {
  const { data, error } = await client.POST("/api/guest");
  if (error) {
    refused("createGuest", error);
  }
  return data.uuid;
}

async function configure(user_uuid: string): Promise<void> {
  const body: Schemas["ConfigUpdate"] = {
    domain: site,
    currentStep: 1,
    configuration: {
      design: { primaryColor: "#FB8537", floatiePosition: "left" },
      contact: { email: "help@acme.test" },
      disabledTabs: { phone: true },
    },
  };
  const { data, error } = await client.POST("/api/onboarding/config", {
    params: { query: { user_uuid } },
    body,
  });
  if (error) {
    refused("updateOnboardingConfig", error);
  }
  assert.equal(data.status, "updated");

  // One tab changes; the others stay.
  const merged = await client.POST("/api/onboarding/config", {
    params: { query: { user_uuid } },
    body: { configuration: { disabledTabs: { chat: true } } },
  });
  if (merged.error) {
    refused("updateOnboardingConfig", merged.error);
  }
  const read = await client.GET("/api/onboarding/config", { params: { query: { user_uuid } } });
  if (read.error) {
    refused("getOnboardingConfig", read.error);
  }
  const config: Schemas["OnboardingConfig"] = read.data;
  const design: Schemas["DesignView"] = config.configuration.design;
  assert.equal(design.primaryColor, "#FB8537");
  assert.equal(design.floatiePosition, "left");
  assert.deepEqual(config.configuration.disabledTabs, { chat: true, phone: true });
  assert.equal(config.configuration.contact["email"], "help@acme.test");
}

async function verify(user_uuid: string): Promise<void> {
  const issued = await client.POST("/api/onboarding/verification", {
    params: { query: { user_uuid } },
  });
  if (issued.error) {
    refused("issueVerification", issued.error);
  }
  const placed = await fetch(`http://${site}${issued.data.filePath}`, {
    method: "PUT",
    body: `${issued.data.token}\n`,
  });
  assert.equal(placed.status, 204);
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const { data, error, response } = await client.POST("/api/onboarding/verification/check", {
      params: { query: { user_uuid } },
    });
    if (error) {
      if (error.error !== "too_many_checks") {
        refused("checkVerification", error);
      }
    } else if (data.status === "verified") {
      return;
    }
    assert.ok(Date.now() < deadline, `verification still ${response.status}`);
    await sleep(1000);
  }
}

async function analyse(user_uuid: string): Promise<number> {
  const started = await client.POST("/api/onboarding/analysis", {
    params: { query: { user_uuid } },
  });
  if (started.error) {
    refused("startAnalysis", started.error);
  }
  const analysisId = started.data.analysisId;
  // Poll as the UI does, sending the last ETag; an unchanged view answers 304.
  let etag: string | undefined;
  let last: Schemas["ProgressView"] | undefined;
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const { data, error, response } = await client.GET("/api/onboarding/progress-steps", {
      params: { query: { user_uuid }, header: { "If-None-Match": etag } },
    });
    if (response.status !== 304) {
      if (error) {
        refused("getProgressSteps", error);
      }
      last = data;
      etag = response.headers.get("etag") ?? undefined;
    }
    if (last?.isComplete) {
      break;
    }
    assert.ok(Date.now() < deadline, "the analysis did not finish in time");
    await sleep(200);
  }
  assert.equal(last.status, "succeeded", last.error);
  assert.equal(last.steps.length, 4);
  const names: Schemas["AnalysisStep"][] = last.steps.map((step) => step.name);
  assert.deepEqual(names, [
    "Domain Validation",
    "Content Crawling",
    "AI Processing",
    "Integration Setup",
  ]);
  assert.ok(etag, "the progress view has an ETag");
  const again = await client.GET("/api/onboarding/progress-steps", {
    params: { query: { user_uuid }, header: { "If-None-Match": etag } },
  });
  assert.equal(again.response.status, 304);
  return analysisId;
}

async function readResult(user_uuid: string, id: number): Promise<void> {
  const { data, error } = await client.GET("/api/onboarding/analysis/{id}", {
    params: { path: { id }, query: { user_uuid } },
  });
  if (error) {
    refused("getAnalysis", error);
  }
  assert.equal(data.status, "succeeded");
  const insights: Schemas["InsightsView"] | undefined = data.insights;
  assert.ok(insights, "a finished analysis has insights");
  const primary: Schemas["ColorSuggestion"] | undefined = insights.suggestedColors[0];
  assert.ok(primary, "a colour is suggested");
  assert.equal(primary.color, "#1A6B54");
  const role: Schemas["ColorRole"] = primary.role;
  assert.equal(role, "primary");
  const emails = insights.supportChannels.emails.map((found) => found.value);
  assert.ok(emails.includes("support@acme.test"), `emails: ${emails.join(", ")}`);
  assert.ok(insights.faq.some((pair) => pair.question === "Do you offer refunds?"));
  assert.ok(insights.quality.pages >= 4, `pages: ${insights.quality.pages}`);
  const categories: Record<string, number> = insights.contentCategories;
  assert.ok((categories["faq"] ?? 0) >= 1, JSON.stringify(categories));
  const pages: Schemas["PageView"][] = data.pageList;
  assert.ok(pages.some((page) => page.url === `http://${site}/faq.html`));
}

async function search(user_uuid: string): Promise<void> {
  const { data, error } = await client.GET("/api/onboarding/content", {
    params: { query: { user_uuid, query: "refunds", limit: 5 } },
  });
  if (error) {
    refused("searchContent", error);
  }
  const hit: Schemas["ContentHit"] | undefined = data.content[0];
  assert.ok(hit, "the FAQ is found");
  assert.equal(hit.url, `http://${site}/faq.html`);
  // Seconds, as the spec says: a search takes well under one.
  assert.ok(data.processingTime > 0 && data.processingTime < 1, `${data.processingTime}`);
}

async function uploadLogo(user_uuid: string): Promise<void> {
  const { data, error } = await client.POST("/api/onboarding/upload-logo/{kind}", {
    params: { path: { kind: "floatie" }, query: { user_uuid } },
    body: { file: new Blob([LOGO_SVG], { type: "image/svg+xml" }) },
    bodySerializer(body) {
      const form = new FormData();
      form.append("file", body.file, "logo.svg");
      return form;
    },
  });
  if (error) {
    refused("uploadLogo", error);
  }
  assert.equal(data.status, "uploaded");
  const read = await client.GET("/api/onboarding/config", { params: { query: { user_uuid } } });
  if (read.error) {
    refused("getOnboardingConfig", read.error);
  }
  assert.equal(read.data.configuration.design.floatieLogo, data.filename);
}

async function recordEvents(guestUuid: string): Promise<void> {
  const viewed = await client.POST("/api/stats/events", {
    body: { eventType: "step.viewed", guestUuid, eventData: { step: 2 } },
  });
  if (viewed.error) {
    refused("recordEvent", viewed.error);
  }
  assert.equal(viewed.data.status, "accepted");
  const custom = await client.POST("/api/stats/events", {
    body: { eventType: "custom", customType: "video_played", guestUuid },
  });
  if (custom.error) {
    refused("recordEvent", custom.error);
  }
}

async function complete(user_uuid: string): Promise<void> {
  const { data, error } = await client.POST("/api/onboarding/complete", {
    params: { query: { user_uuid } },
  });
  if (error) {
    refused("completeOnboarding", error);
  }
  assert.equal(data.status, "completed");
  assert.equal(data.domain, site);
}

async function badInputIsExplained(user_uuid: string): Promise<void> {
  const { error } = await client.POST("/api/onboarding/config", {
    params: { query: { user_uuid } },
    body: { configuration: { design: { primaryColor: "orange" } } },
  });
  assert.ok(error, "an invalid colour is refused");
  const code: Schemas["ErrorCode"] = error.error;
  assert.equal(code, "invalid_primary_color");
  assert.ok(error.message.includes("#RRGGBB"), error.message);
}

const user_uuid = await startGuest();
await configure(user_uuid);
await badInputIsExplained(user_uuid);
const analysisId = await analyse(user_uuid);
await readResult(user_uuid, analysisId);
await search(user_uuid);
await uploadLogo(user_uuid);
await recordEvents(user_uuid);
await verify(user_uuid);
await complete(user_uuid);
console.log(`typescript flow: guest ${user_uuid}, analysis ${analysisId}: passed`);
