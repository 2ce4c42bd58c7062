"""The onboarding flow through the Python client generated from openapi.yaml with
openapi-python-client, run against a started api and a local website.

    ONBOARD_URL=http://127.0.0.1:18091 SITE_DOMAIN=127.0.0.1:18092 \
        PYTHONPATH=python/generated python python/flow.py
"""

import os
import time

import httpx
from onboard_api_client import Client
from onboard_api_client.api.analysis import (
    get_analysis,
    get_progress_steps,
    search_content,
    start_analysis,
)
from onboard_api_client.api.guest import create_guest
from onboard_api_client.api.onboarding import (
    check_verification,
    complete_onboarding,
    get_onboarding_config,
    issue_verification,
    update_onboarding_config,
    upload_logo,
)
from onboard_api_client.api.stats import record_event
from onboard_api_client.models import (
    AnalysisResult,
    AnalysisStatus,
    AnalysisStep,
    ColorRole,
    ColorSuggestion,
    CompletedStatus,
    ConfigUpdate,
    ConfigurationInput,
    ConfigurationInputContact,
    ConfigurationInputDisabledTabs,
    ContentResults,
    DesignFields,
    ErrorBody,
    ErrorCode,
    EventStatus,
    FaqPair,
    FloatiePosition,
    Found,
    InsightsView,
    LogoKind,
    NewEvent,
    NewEventEventData,
    OnboardingConfig,
    ProgressStatus,
    ProgressView,
    QualitySummary,
    SupportChannels,
    UiEvent,
    UpdatedStatus,
    UploadedStatus,
    UploadLogoBody,
    VerificationStatus,
)
from onboard_api_client.types import File

API = os.environ["ONBOARD_URL"]
SITE = os.environ["SITE_DOMAIN"]
DEADLINE_SECONDS = 60
LOGO_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24">'
    b'<circle cx="12" cy="12" r="10" fill="#1A6B54"/></svg>'
)

client = Client(base_url=API, raise_on_unexpected_status=True)


def ok(step, answer, model):
    """The answer when it is the expected model; a refusal names its code and message."""
    if isinstance(answer, ErrorBody):
        raise AssertionError(f"{step}: {answer.error.value}: {answer.message}")
    assert isinstance(answer, model), f"{step}: {answer!r}"
    return answer


def configure(guest):
    update = ConfigUpdate(
        domain=SITE,
        current_step=1,
        configuration=ConfigurationInput(
            design=DesignFields(primary_color="#FB8537", floatie_position=FloatiePosition.LEFT),
            contact=ConfigurationInputContact.from_dict({"email": "help@acme.test"}),
            disabled_tabs=ConfigurationInputDisabledTabs.from_dict({"phone": True}),
        ),
    )
    updated = update_onboarding_config.sync(client=client, user_uuid=guest, body=update)
    assert updated.status == UpdatedStatus.UPDATED, updated
    # One tab changes, the others stay; a contact channel set to None is removed.
    merge = ConfigUpdate(
        configuration=ConfigurationInput(
            contact=ConfigurationInputContact.from_dict({"phone": "+1 555 0100"}),
            disabled_tabs=ConfigurationInputDisabledTabs.from_dict({"chat": True}),
        )
    )
    update_onboarding_config.sync(client=client, user_uuid=guest, body=merge)
    config = ok(
        "getOnboardingConfig",
        get_onboarding_config.sync(client=client, user_uuid=guest),
        OnboardingConfig,
    )
    design = config.configuration.design
    assert design.primary_color == "#FB8537", design
    assert design.floatie_position == FloatiePosition.LEFT, design
    assert config.configuration.disabled_tabs.to_dict() == {"chat": True, "phone": True}
    assert config.configuration.contact.to_dict() == {
        "email": "help@acme.test",
        "phone": "+1 555 0100",
    }

    refused = update_onboarding_config.sync(
        client=client,
        user_uuid=guest,
        body=ConfigUpdate(
            configuration=ConfigurationInput(design=DesignFields(primary_color="orange"))
        ),
    )
    assert isinstance(refused, ErrorBody), refused
    assert refused.error == ErrorCode.INVALID_PRIMARY_COLOR, refused
    assert "#RRGGBB" in refused.message, refused.message


def analyse(guest):
    started = start_analysis.sync(client=client, user_uuid=guest)
    assert started.status in (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING), started
    etag = None
    view = None
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        answer = get_progress_steps.sync_detailed(
            client=client, user_uuid=guest, **({"if_none_match": etag} if etag else {})
        )
        if answer.status_code != 304:
            view = ok("getProgressSteps", answer.parsed, ProgressView)
            etag = answer.headers["etag"]
        if view.is_complete:
            break
        assert time.monotonic() < deadline, "the analysis did not finish in time"
        time.sleep(0.2)
    assert view.status == ProgressStatus.SUCCEEDED, view
    assert [step.name for step in view.steps] == [
        AnalysisStep.DOMAIN_VALIDATION,
        AnalysisStep.CONTENT_CRAWLING,
        AnalysisStep.AI_PROCESSING,
        AnalysisStep.INTEGRATION_SETUP,
    ]
    unchanged = get_progress_steps.sync_detailed(client=client, user_uuid=guest, if_none_match=etag)
    assert unchanged.status_code == 304, unchanged.status_code
    return started.analysis_id


def read_result(guest, analysis_id):
    result = ok(
        "getAnalysis",
        get_analysis.sync(client=client, id=analysis_id, user_uuid=guest),
        AnalysisResult,
    )
    assert result.status == AnalysisStatus.SUCCEEDED, result
    insights = result.insights
    assert isinstance(insights, InsightsView), insights
    assert all(isinstance(c, ColorSuggestion) for c in insights.suggested_colors)
    primary = insights.suggested_colors[0]
    assert (primary.color, primary.role) == ("#1A6B54", ColorRole.PRIMARY), primary
    assert isinstance(insights.support_channels, SupportChannels)
    assert all(isinstance(e, Found) for e in insights.support_channels.emails)
    emails = [e.value for e in insights.support_channels.emails]
    assert "support@acme.test" in emails, emails
    assert isinstance(insights.quality, QualitySummary)
    assert insights.quality.pages >= 4, insights.quality
    assert all(isinstance(pair, FaqPair) for pair in insights.faq)
    assert any(pair.question == "Do you offer refunds?" for pair in insights.faq), insights.faq
    assert insights.content_categories["faq"] >= 1, insights.content_categories.to_dict()
    assert any(page.url == f"http://{SITE}/faq.html" for page in result.page_list)


def search(guest):
    found = ok(
        "searchContent",
        search_content.sync(client=client, user_uuid=guest, query="refunds", limit=5),
        ContentResults,
    )
    assert found.content[0].url == f"http://{SITE}/faq.html", found
    # Seconds, as the spec says: a search takes well under one.
    assert 0 < found.processing_time < 1, found.processing_time


def upload(guest):
    logo = File(payload=LOGO_SVG, file_name="logo.svg", mime_type="image/svg+xml")
    uploaded = upload_logo.sync(
        client=client, kind=LogoKind.FLOATIE, user_uuid=guest, body=UploadLogoBody(file=logo)
    )
    assert uploaded.status == UploadedStatus.UPLOADED, uploaded
    config = get_onboarding_config.sync(client=client, user_uuid=guest)
    assert config.configuration.design.floatie_logo == uploaded.filename


def record_events(guest):
    viewed = record_event.sync(
        client=client,
        body=NewEvent(
            event_type=UiEvent.STEP_VIEWED,
            guest_uuid=guest,
            event_data=NewEventEventData.from_dict({"step": 2}),
        ),
    )
    assert viewed.status == EventStatus.ACCEPTED, viewed
    custom = record_event.sync(
        client=client,
        body=NewEvent(event_type=UiEvent.CUSTOM, custom_type="video_played", guest_uuid=guest),
    )
    assert custom.status == EventStatus.ACCEPTED, custom


def verify(guest):
    issued = issue_verification.sync(client=client, user_uuid=guest)
    placed = httpx.put(f"http://{SITE}{issued.file_path}", content=f"{issued.token}\n")
    assert placed.status_code == 204, placed
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        checked = check_verification.sync(client=client, user_uuid=guest)
        if isinstance(checked, ErrorBody):
            assert checked.error == ErrorCode.TOO_MANY_CHECKS, checked
        elif checked.status == VerificationStatus.VERIFIED:
            return
        assert time.monotonic() < deadline, f"verification still {checked!r}"
        time.sleep(1)


def complete(guest):
    done = complete_onboarding.sync(client=client, user_uuid=guest)
    assert done.status == CompletedStatus.COMPLETED, done
    assert done.domain == SITE, done


guest = create_guest.sync(client=client).uuid
configure(guest)
analysis_id = analyse(guest)
read_result(guest, analysis_id)
search(guest)
upload(guest)
record_events(guest)
verify(guest)
complete(guest)
print(f"python flow: guest {guest}, analysis {analysis_id}: passed")
