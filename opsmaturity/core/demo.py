"""Demo data: a fixed demo an ops manager recognises, and generated volume on top.

``seed_fixed()`` builds six teams, about twenty people and sixty named
operations in every phase, with histories, exit-criterion checks and every
rule of ``opsmaturity.maturity.rules`` holding for some of them. It runs in one
transaction and does nothing when the fixed demo is already there.

``seed_generated(ops, teams)`` adds ``ops`` generated operations over ``teams``
generated teams ("Team 001"…), with about ten people per team, in batches of
bulk inserts: no per-row save and no per-row query, so that 100,000 operations
take about a minute. Teams and their people are reused by later runs; names
continue where the team's existing operations leave off.

Both write operations the same way (``_write_operations``): bulk inserts
bypass ``Operation.save()`` and ``PhaseTransition.save()``, so this module
keeps their rules itself: the purpose is stripped, the first transition goes
from "" to launch at the operation's creation, moves are in time order, the
operation's phase and ``phase_entered_at`` are those of its last transition,
and a retirement, a skip, a move backward or a reinstatement carries a note.

Dates are counted back from today in local calendar days (as the rules count
them), at office hours, never in the future.
"""

import datetime as dt
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from opsmaturity.maturity.rules import MoveKind, classify_move
from opsmaturity.operations.models import (
    CriterionCheck,
    Operation,
    PhaseCriterion,
    PhaseTransition,
    PurposeReview,
)
from opsmaturity.operations.phases import Phase
from opsmaturity.organization.demo import seed_organization
from opsmaturity.teams.models import Membership, Role, Team

BATCH_SIZE = 5000
# Keep IN (...) lists well under every backend's limit on query parameters.
IN_CHUNK = 900
DEMO_PASSWORD = "demo"  # noqa: S105 - demo people other than the three logins below
LOGINS = (
    # username, password, first name, last name, staff
    ("manager", "manager", "Mika", "Morita", False),
    ("member", "member", "Yuto", "Hayashi", False),
    ("admin", "admin", "Ada", "Admin", True),
)
EMAIL_DOMAIN = "example.com"
WIKI = "https://wiki.example.com/ops"
CREATED_NOTE = "Recorded"

L, S, A, C, R = (
    Phase.LAUNCH.value,
    Phase.STANDARDIZE.value,
    Phase.AUTOMATE.value,
    Phase.COST_OPTIMIZE.value,
    Phase.RETIRE.value,
)
LETTERS = {"L": L, "S": S, "A": A, "C": C, "R": R}
WORKING = (L, S, A, C)
POSITION = {L: 0, S: 1, A: 2, C: 3, R: 4}
# How the monthly cost of an operation falls as it matures, relative to launch.
COST_FACTOR = {L: 1.0, S: 0.85, A: 0.55, C: 0.4}


# --- The fixed demo -------------------------------------------------------------

TEAMS = (
    # name, description, manager (username)
    (
        "Customer Support",
        "Answers customers by mail, chat and phone; refunds and disputes.",
        "manager",
    ),
    ("Billing", "Invoices, payments and everything between them.", "manager"),
    ("Onboarding", "Takes new customers from signed contract to first value.", "manager"),
    (
        "Risk & Compliance",
        "KYC, sanctions, fraud and the regulator's questions.",
        "kenji.yamamoto",
    ),
    ("Finance Back-office", "Payables, closing and the books.", "hina.kato"),
    ("Account Management", "Keeps key accounts, renews and grows them.", "manager"),
)

PEOPLE = (
    # username, first name, last name, teams
    ("aiko.sato", "Aiko", "Sato", ("Customer Support",)),
    ("daniel.kim", "Daniel", "Kim", ("Customer Support",)),
    ("yuki.tanaka", "Yuki", "Tanaka", ("Customer Support",)),
    ("maria.garcia", "María", "García", ("Customer Support", "Account Management")),
    ("kenta.suzuki", "Kenta", "Suzuki", ("Billing",)),
    ("emma.wilson", "Emma", "Wilson", ("Billing", "Finance Back-office")),
    ("haruto.ito", "Haruto", "Ito", ("Billing",)),
    ("sakura.watanabe", "Sakura", "Watanabe", ("Onboarding",)),
    ("liam.oconnor", "Liam", "O'Connor", ("Onboarding",)),
    ("mei.nakamura", "Mei", "Nakamura", ("Onboarding",)),
    ("kenji.yamamoto", "Kenji", "Yamamoto", ("Risk & Compliance",)),
    ("olivia.brown", "Olivia", "Brown", ("Risk & Compliance", "Onboarding")),
    ("ren.kobayashi", "Ren", "Kobayashi", ("Risk & Compliance",)),
    ("noah.fischer", "Noah", "Fischer", ("Risk & Compliance",)),
    ("hina.kato", "Hina", "Kato", ("Finance Back-office",)),
    ("lucas.martin", "Lucas", "Martin", ("Finance Back-office",)),
    ("sota.yoshida", "Sota", "Yoshida", ("Finance Back-office",)),
    ("chloe.dubois", "Chloé", "Dubois", ("Account Management",)),
    ("takumi.yamada", "Takumi", "Yamada", ("Account Management",)),
    ("ava.patel", "Ava", "Patel", ("Account Management",)),
    # The demo member works in two of the manager's teams.
    ("member", "Yuto", "Hayashi", ("Customer Support", "Billing")),
)


@dataclass(frozen=True)
class DemoOp:
    """One operation of the fixed demo.

    ``path`` lists the phases it entered, each as a letter (L, S, A, C, R) and
    how many days ago, optionally followed by ": note". ``cost`` and ``value``
    are today's monthly amounts; ``reviewed`` is how many days ago its purpose
    was last reviewed (None: never).
    """

    name: str
    purpose: str
    path: tuple
    cost: int
    value: int
    volume: int
    performers: int = 3
    runbook: bool = True
    reviewed: int | None = 30
    owner: str | None = None


def _ops(*items):
    return tuple(DemoOp(*item[:6], **(item[6] if len(item) > 6 else {})) for item in items)


OPERATIONS = {
    "Customer Support": _ops(
        (
            "Refund requests",
            "Customers who return an item get their money back within two business days, "
            "which keeps refund complaints off social media.",
            ("L420", "S372", "A240: Refund API wired into the helpdesk macro."),
            380_000,
            1_200_000,
            2_400,
            {"performers": 4, "reviewed": 45},
        ),
        (
            "Chargeback disputes",
            "Win back card chargebacks we do not owe by answering the card network "
            "with evidence before its deadline.",
            ("L300", "S250"),
            520_000,
            1_450_000,
            85,
            {"performers": 1, "reviewed": 60, "owner": "daniel.kim"},
        ),
        (
            "Complaint escalation",
            "Serious complaints reach a team lead within four hours and get a written answer "
            "the same week.",
            ("L510", "S455", "A330", "C120"),
            260_000,
            700_000,
            140,
            {"reviewed": 90},
        ),
        (
            "Account unlock requests",
            "Customers locked out after failed logins get back in within an hour, after an "
            "identity check.",
            ("L280", "S230"),
            190_000,
            450_000,
            900,
            {"owner": "member", "reviewed": 20},
        ),
        (
            "Address change requests",
            "住所変更の依頼を当日中に反映し、請求書や商品の誤配送を防ぐ。",
            ("L390", "S350", "A200"),
            120_000,
            300_000,
            1_100,
            {"reviewed": 75},
        ),
        (
            "Lost parcel claims",
            "Customers whose parcel went missing get a replacement or a refund, and we claim "
            "the loss back from the carrier.",
            ("L100", "S45"),
            310_000,
            540_000,
            260,
            {"runbook": False, "owner": "member", "reviewed": 35},
        ),
        (
            "Weekend chat coverage",
            "Customers who write on Saturday or Sunday get an answer within two hours "
            "instead of waiting until Monday.",
            ("L12",),
            640_000,
            900_000,
            1_800,
            {"performers": 2, "runbook": False, "reviewed": None},
        ),
        (
            "CSAT survey follow-up",
            "Every customer who rates us 1 or 2 out of 5 is called back within three days "
            "to fix what went wrong.",
            ("L330", "S290", "A150"),
            150_000,
            420_000,
            320,
            {"reviewed": 110},
        ),
        (
            "Fax order intake",
            "Orders that arrive by fax are typed into the order system the same day.",
            (
                "L900",
                "S840",
                "R400: Last three fax customers moved to the web order form; "
                "the fax line is cancelled.",
            ),
            90_000,
            20_000,
            12,
            {"performers": 2, "reviewed": 420},
        ),
        (
            "VIP callback line",
            "Top-tier customers who call get a named agent's call back within 30 minutes.",
            ("L95",),
            450_000,
            800_000,
            70,
            {"performers": 1, "runbook": False, "reviewed": None, "owner": "aiko.sato"},
        ),
    ),
    "Billing": _ops(
        (
            "Invoice matching",
            "Every incoming payment is matched to its invoice so that no customer is chased "
            "for money they already paid.",
            ("L600", "S560", "A400", "C150"),
            240_000,
            1_900_000,
            6_500,
            {"performers": 4, "reviewed": 40},
        ),
        (
            "Failed payment retries",
            "Recover card payments that failed for temporary reasons before the "
            "subscription lapses.",
            (
                "L300",
                "A270: Switched on the payment provider's smart retries from day one: "
                "nothing manual left to standardize.",
                "C60",
            ),
            110_000,
            1_300_000,
            3_200,
            {"reviewed": 55},
        ),
        (
            "Credit note issuance",
            "Customers who were over-billed receive a correct credit note within five "
            "business days, as the tax rules require.",
            ("L360", "S320"),
            170_000,
            380_000,
            210,
            {"owner": "member", "reviewed": 25},
        ),
        (
            "Dunning letters by post",
            "Customers with unpaid invoices older than 30 days receive a printed reminder.",
            (
                "L800",
                "S760",
                "A500",
                "R40: Email dunning from the billing system now covers every customer; "
                "the last printed letters went out last month.",
            ),
            210_000,
            90_000,
            450,
            {"reviewed": 300},
        ),
        (
            "Tax rate updates",
            "Product prices carry the right consumption tax rate on the day a rate changes.",
            ("L700", "S640", "A420"),
            80_000,
            250_000,
            4,
            {"performers": 1, "runbook": False, "reviewed": 130, "owner": "kenta.suzuki"},
        ),
        (
            "Payment method changes",
            "Customers can switch card or bank account without a gap in their service.",
            ("L250", "S205", "A30"),
            70_000,
            260_000,
            700,
            {"reviewed": 65},
        ),
        (
            "Convenience-store payment matching",
            "コンビニ払いの入金データを毎営業日に請求書と突合し、未消込の入金をゼロにする。"
            "消込漏れによる誤った督促を防ぐ。",
            ("L450", "S410", "A260"),
            160_000,
            520_000,
            1_900,
            {"reviewed": 80, "owner": "haruto.ito"},
        ),
        (
            "Paper invoice mailing",
            "Customers who asked for paper receive a printed invoice by post each month.",
            ("L980", "S930", "A700", "C400"),
            480_000,
            150_000,
            1_300,
            {"reviewed": 150},
        ),
        (
            "Duplicate charge investigations",
            "Customers charged twice get the duplicate refunded and a written explanation "
            "within 48 hours.",
            ("L52",),
            230_000,
            400_000,
            60,
            {"performers": 1, "runbook": False, "reviewed": None, "owner": "member"},
        ),
        (
            "Subscription proration fixes",
            "Mid-month plan changes are billed to the day, so that upgrades are never "
            "charged twice.",
            ("L130",),
            290_000,
            330_000,
            150,
            {"performers": 2, "runbook": False, "reviewed": None},
        ),
    ),
    "Onboarding": _ops(
        (
            "Onboarding calls",
            "Every new business customer gets a 45-minute kickoff call in their first week, "
            "so that they reach first value within 30 days.",
            ("L400", "S355"),
            720_000,
            2_000_000,
            180,
            {"performers": 4, "reviewed": 30},
        ),
        (
            "Welcome kit shipping",
            "New customers receive a printed quick-start guide and a branded card reader.",
            ("L520", "S470", "A300"),
            650_000,
            300_000,
            420,
            {"reviewed": 100},
        ),
        (
            "Account setup checks",
            "New accounts are configured correctly (plan, users, tax settings) before the "
            "first invoice.",
            (
                "L400",
                "S360",
                "A200",
                "S90: The setup script broke with the new plan catalogue; back to the "
                "manual checklist until it is rewritten.",
            ),
            210_000,
            480_000,
            400,
            {"reviewed": 85},
        ),
        (
            "Data migration assistance",
            "Customers moving from a competitor get their history imported without losing "
            "a record.",
            ("L340", "S300"),
            560_000,
            1_100_000,
            35,
            {"performers": 2, "reviewed": 120, "owner": "liam.oconnor"},
        ),
        (
            "Training webinar scheduling",
            "New users can book a live training slot in their language within two weeks.",
            (
                "L500",
                "S450",
                "R260: Replaced by recorded videos.",
                "S120: Enterprise customers asked for live sessions again; reinstated for "
                "accounts above 50 seats only.",
            ),
            130_000,
            260_000,
            45,
            {"reviewed": 110},
        ),
        (
            "Contract countersignature",
            "Signed contracts are countersigned and filed within one business day so that "
            "the account can be opened.",
            ("L90", "S38"),
            90_000,
            200_000,
            160,
            {"performers": 1, "runbook": False, "reviewed": 60, "owner": "sakura.watanabe"},
        ),
        (
            "Trial-to-paid conversion calls",
            "Trial users who used the product on three or more days get a call before the "
            "trial ends.",
            ("L20",),
            380_000,
            900_000,
            300,
            {"performers": 2, "runbook": False, "reviewed": None},
        ),
        (
            "SSO setup for enterprise customers",
            "Enterprise customers log in with their own identity provider from day one.",
            ("L75",),
            270_000,
            600_000,
            12,
            {"performers": 1, "runbook": False, "reviewed": None, "owner": "mei.nakamura"},
        ),
        (
            "Onboarding survey",
            "Learn in the second month what slowed new customers down, to fix the onboarding flow.",
            ("L620", "S570", "A420"),
            60_000,
            120_000,
            250,
            {"reviewed": 260},
        ),
        (
            "Handwritten welcome cards",
            "Each new customer receives a handwritten card from their onboarding manager.",
            (
                "L300",
                "R25: A six-month test showed no effect on activation or churn; stopped.",
            ),
            95_000,
            10_000,
            120,
            {"performers": 2, "runbook": False, "reviewed": None},
        ),
    ),
    "Risk & Compliance": _ops(
        (
            "KYC checks",
            "犯罪収益移転防止法に基づき、口座開設前にお客様の本人確認を完了する。"
            "確認が済むまで送金機能は有効にしない。",
            ("L700", "S650", "A450", "C200"),
            900_000,
            2_000_000,
            5_200,
            {"performers": 4, "reviewed": 50},
        ),
        (
            "Sanctions screening",
            "No payment leaves for a person or company on a sanctions list.",
            ("L650", "S610", "A420"),
            420_000,
            1_800_000,
            12_000,
            {"reviewed": 70},
        ),
        (
            "AML transaction monitoring review",
            "Alerts from the monitoring system are reviewed within 24 hours and either "
            "closed with a reason or escalated.",
            ("L480", "S430"),
            1_100_000,
            1_600_000,
            900,
            {"performers": 3, "reviewed": 40},
        ),
        (
            "Suspicious activity reports",
            "Confirmed suspicious activity is reported to the authority within the legal deadline.",
            ("L560", "S510"),
            300_000,
            1_000_000,
            8,
            {"performers": 2, "reviewed": 95, "owner": "ren.kobayashi"},
        ),
        (
            "Age verification",
            "Customers buying age-restricted products are verified as adults before the "
            "first shipment.",
            ("L47",),
            150_000,
            350_000,
            600,
            {"performers": 2, "runbook": False, "reviewed": None},
        ),
        (
            "Data deletion requests",
            "Customers who ask for their personal data to be deleted get it done within "
            "30 days, as APPI and GDPR require.",
            ("L33",),
            110_000,
            300_000,
            40,
            {"performers": 1, "runbook": False, "reviewed": None},
        ),
        (
            "Vendor risk assessments",
            "Every new supplier that touches customer data passes a security questionnaire "
            "before the contract is signed.",
            ("L420", "S380"),
            180_000,
            420_000,
            15,
            {"reviewed": 140},
        ),
        (
            "Fraud rule tuning",
            "Fraud rules are adjusted every week so that fraud losses stay below 0.1% of "
            "volume without blocking good customers.",
            ("L160",),
            340_000,
            1_200_000,
            4,
            {"performers": 1, "runbook": False, "reviewed": None, "owner": "noah.fischer"},
        ),
        (
            "Manual ID document review",
            "ID documents the automatic check cannot read are reviewed by a person within "
            "four hours.",
            ("L640", "S600", "A380", "C140"),
            260_000,
            600_000,
            700,
            {"performers": 1, "reviewed": 90, "owner": "olivia.brown"},
        ),
        (
            "Manual blacklist spreadsheet",
            "Known fraudsters are kept in a shared spreadsheet checked before each payout.",
            (
                "L900",
                "S850",
                "R500: Superseded by the sanctions screening tool, which covers the list and more.",
            ),
            120_000,
            30_000,
            300,
            {"reviewed": 520},
        ),
    ),
    "Finance Back-office": _ops(
        (
            "Expense report approvals",
            "Employees are reimbursed within ten days and every expense follows the policy.",
            ("L700", "S660", "A480", "C210"),
            140_000,
            400_000,
            650,
            {"performers": 3, "reviewed": 60},
        ),
        (
            "Month-end close checklist",
            "The books close by the fifth business day with no surprise adjustments.",
            ("L540", "S500"),
            600_000,
            1_500_000,
            1,
            {"performers": 3, "reviewed": 35},
        ),
        (
            "Vendor onboarding",
            "New suppliers are set up with verified bank details before their first invoice "
            "is paid.",
            ("L400", "S360", "A50"),
            90_000,
            240_000,
            30,
            {"reviewed": 100},
        ),
        (
            "Bank reconciliation",
            "Every bank line is explained by the end of the next business day.",
            ("L620", "S580", "A300"),
            170_000,
            600_000,
            4_800,
            {"performers": 1, "reviewed": 75, "owner": "hina.kato"},
        ),
        (
            "Accounts payable runs",
            "Suppliers are paid on the agreed date, twice a month, and never twice.",
            ("L750", "S710", "A500", "C260"),
            220_000,
            700_000,
            900,
            {"performers": 4, "reviewed": 120},
        ),
        (
            "Fixed asset register update",
            "The asset register matches what we own, for depreciation and the annual audit.",
            ("L500", "S455"),
            140_000,
            110_000,
            20,
            {"performers": 2, "reviewed": 160},
        ),
        (
            "Intercompany settlements",
            "Balances between our entities are settled monthly so that no entity runs short "
            "of cash.",
            ("L88",),
            200_000,
            450_000,
            6,
            {"performers": 1, "runbook": False, "reviewed": None, "owner": "emma.wilson"},
        ),
        (
            "Petty cash counting",
            "The office petty cash box is counted and reconciled every Friday.",
            (
                "L1100",
                "S1050",
                "A900",
                "C700",
                "R250: The office went cashless; the last petty cash box was closed.",
            ),
            40_000,
            5_000,
            4,
            {"reviewed": 400},
        ),
        (
            "Purchase order matching",
            "Supplier invoices are paid only when they match a purchase order and a receipt.",
            ("L25",),
            260_000,
            500_000,
            1_200,
            {"performers": 2, "runbook": False, "reviewed": None},
        ),
        (
            "Consumption tax filing prep",
            "インボイス制度に沿って適格請求書を確認し、消費税の申告資料を期限内に揃える。",
            ("L560", "S515"),
            330_000,
            900_000,
            1,
            {"performers": 2, "reviewed": 240, "owner": "sota.yoshida"},
        ),
    ),
    "Account Management": _ops(
        (
            "Churn follow-up",
            "Every customer who cancels is called within a week to learn why and, where we "
            "can, to win them back.",
            ("L350", "S305"),
            480_000,
            1_700_000,
            220,
            {"performers": 3, "reviewed": 30},
        ),
        (
            "Renewal reminders",
            "Key accounts are reminded of their renewal 90, 60 and 30 days ahead, so that "
            "none lapses by accident.",
            ("L600", "S550", "A380"),
            90_000,
            1_400_000,
            380,
            {"performers": 3, "reviewed": 60},
        ),
        (
            "Quarterly business reviews",
            "Our top 50 accounts see the value they got from us every quarter.",
            ("L480", "S440"),
            1_200_000,
            900_000,
            17,
            {"performers": 3, "reviewed": 100},
        ),
        (
            "Upsell opportunity review",
            "Accounts close to their plan limits are offered the next plan before they hit a wall.",
            ("L120", "S20"),
            250_000,
            800_000,
            90,
            {"performers": 2, "reviewed": 50, "owner": "takumi.yamada"},
        ),
        (
            "Contract amendment requests",
            "Changes to a key account's contract are drafted, approved and signed within "
            "ten business days.",
            ("L420", "S380", "A170"),
            180_000,
            500_000,
            40,
            {"runbook": False, "reviewed": 70},
        ),
        (
            "Usage report for key accounts",
            "Key accounts receive a monthly report of their usage and savings.",
            ("L400", "S360", "A250"),
            75_000,
            200_000,
            120,
            {"reviewed": None},
        ),
        (
            "Price increase notifications",
            "Customers hear of a price change at least 60 days ahead, in writing, as their "
            "contracts require.",
            ("L58",),
            160_000,
            450_000,
            1_500,
            {"performers": 2, "runbook": False, "reviewed": None},
        ),
        (
            "Customer health scoring",
            "Account managers see which accounts are at risk before the renewal talk.",
            ("L8",),
            130_000,
            600_000,
            0,
            {"performers": 1, "runbook": False, "reviewed": None, "owner": "chloe.dubois"},
        ),
        (
            "Reference customer program",
            "Happy customers agree to talk to prospects, which shortens enterprise sales cycles.",
            ("L210",),
            100_000,
            250_000,
            5,
            {"performers": 1, "runbook": False, "reviewed": None, "owner": "ava.patel"},
        ),
        (
            "Printed renewal quotes",
            "Key accounts receive a printed, signed renewal quote by post.",
            (
                "L820",
                "S780",
                "R360: Quotes are signed electronically now; nobody asked for paper in a year.",
            ),
            60_000,
            10_000,
            30,
            {"reviewed": 380},
        ),
    ),
}

# Notes for the moves of generated operations that need one, and a few optional ones.
RETIRE_NOTES = (
    "Replaced by a self-service form in the customer portal.",
    "The product it supported was discontinued.",
    "Volume dropped below five a month; handled case by case now.",
    "Merged into the owning team's monthly review.",
    "The regulation changed; the check is no longer required.",
    "The partner now does it as part of their contract.",
    "顧客ポータルのセルフサービス化により不要になったため廃止。",
)
BACKWARD_NOTES = (
    "The tool was dropped after the vendor changed its pricing; back to the manual runbook.",
    "The automated job produced wrong results for two weeks; run by hand until it is fixed.",
    "The process changed with the new plan catalogue; the runbook has to be rewritten.",
)
SKIP_NOTES = (
    "Bought a SaaS from day one: nothing manual left to standardize.",
    "Built into the product at launch; a manual phase was never needed.",
    "Went straight to the outsourcing partner, who already runs the same flow for us.",
)
REINSTATE_NOTES = (
    "An audit found it is still required; reinstated with a smaller scope.",
    "Customers asked for it back after the self-service form launched.",
    "The replacement tool was dropped; the operation is needed again.",
)
REVIEW_REASONS = (
    "Still needed: volume is steady and customers would notice at once if it stopped.",
    "Reviewed with the team lead: the purpose holds; value re-estimated from last quarter.",
    "Still required by our contracts with key accounts.",
    "Still needed until the replacement ships; value updated from this month's numbers.",
    "The regulator still asks for it; cost and value checked against the budget.",
    "止めると顧客対応に直接影響が出るため、引き続き必要。",
)
FORWARD_NOTES = {
    S: (
        "Runbook written and walked through with the team.",
        "Second person trained and signed off.",
    ),
    A: (
        "Automation rules live in the ticketing tool.",
        "Data now lands in the warehouse every night.",
        "RPA bot runs the daily batch.",
    ),
    C: (
        "Remaining manual checks handed to the BPO partner.",
        "Contracted staff take the human remainder from next month.",
    ),
}

# People of the generated teams.
FIRST_NAMES = (
    "Haruka", "Sho", "Nanami", "Daiki", "Aoi", "Riku", "Misaki", "Kaito", "Yui", "Hiroshi",
    "Anna", "James", "Sofia", "Lena", "Omar", "Priya", "Tom", "Julia", "Chen", "Marco",
)  # fmt: skip
LAST_NAMES = (
    "Sato", "Suzuki", "Takahashi", "Watanabe", "Ito", "Nakamura", "Kobayashi", "Saito",
    "Kato", "Yoshida", "Smith", "Müller", "Rossi", "Silva", "Novak", "Khan", "Lee", "Wang",
    "Dupont", "Jensen",
)  # fmt: skip
PEOPLE_PER_TEAM = 10


# --- Results --------------------------------------------------------------------


@dataclass
class FixedResult:
    skipped: bool = False
    teams: int = 0
    operations: int = 0
    users: int = 0
    transitions: int = 0
    checks: int = 0


@dataclass
class GeneratedResult:
    operations: int = 0
    teams: int = 0
    new_teams: int = 0
    users: int = 0
    transitions: int = 0
    seconds: float = 0.0


# --- Writing operations ---------------------------------------------------------


@dataclass
class Step:
    """One entry into a phase: the first is the creation, in launch."""

    phase: str
    at: dt.datetime
    note: str = ""
    by_id: int | None = None


@dataclass
class Plan:
    team_id: int
    owner_id: int
    name: str
    purpose: str
    steps: list
    cost: int
    value: int
    volume: int = 0
    runbook_url: str = ""
    performer_ids: list = field(default_factory=list)
    reviewed_at: dt.datetime | None = None
    reviewed_by_id: int | None = None
    review_reason: str = ""


def _money_by_phase(plan):
    """The monthly cost while in each working phase, falling as the operation matured."""
    last_working = next(s.phase for s in reversed(plan.steps) if s.phase != R)
    base = plan.cost / COST_FACTOR[last_working]
    return {
        phase: plan.cost if phase == last_working else round(base * factor, -3)
        for phase, factor in COST_FACTOR.items()
    }


def _write_operations(plans):
    """Insert operations, their histories, performers and purpose reviews in bulk.

    Returns the operations and how many transitions were written.
    """
    operations = [
        Operation(
            team_id=p.team_id,
            owner_id=p.owner_id,
            name=p.name,
            # Operation.save() strips the purpose; bulk inserts bypass it.
            purpose=p.purpose.strip(),
            phase=p.steps[-1].phase,
            phase_entered_at=p.steps[-1].at,
            launched_at=timezone.localdate(p.steps[0].at),
            runbook_url=p.runbook_url,
            monthly_volume=p.volume,
            monthly_cost=Decimal(p.cost),
            monthly_value=Decimal(p.value),
            purpose_reviewed_at=p.reviewed_at,
            purpose_reviewed_by_id=p.reviewed_by_id,
            # One save for the creation, one per move and one for the review.
            version=len(p.steps) + (p.reviewed_at is not None),
            created_at=p.steps[0].at,
            updated_at=max(p.steps[-1].at, p.reviewed_at or p.steps[-1].at),
        )
        for p in plans
    ]
    Operation.objects.bulk_create(operations, batch_size=BATCH_SIZE)
    if any(op.pk is None for op in operations):
        raise RuntimeError("The database did not return the ids of the new operations.")

    transitions, performers, reviews = [], [], []
    through = Operation.performers.through
    value_of = Decimal
    for op, p in zip(operations, plans, strict=True):
        cost_in = _money_by_phase(p)
        value = value_of(p.value)
        cost = cost_in[L]
        previous, entered = "", None
        for step in p.steps:
            # The money as it stood when the move was made, as move_phase records it.
            transitions.append(
                PhaseTransition(
                    operation_id=op.pk,
                    team_id=op.team_id,
                    from_phase=previous,
                    to_phase=step.phase,
                    by_id=step.by_id,
                    at=step.at,
                    from_phase_entered_at=entered,
                    note=step.note,
                    monthly_cost=value_of(cost),
                    monthly_value=value,
                )
            )
            if step.phase != R:
                cost = cost_in[step.phase]
            previous, entered = step.phase, step.at
        performers.extend(through(operation_id=op.pk, user_id=u) for u in p.performer_ids)
        if p.reviewed_at is not None:
            # The money the reviewer confirmed is the operation's money today.
            reviews.append(
                PurposeReview(
                    operation_id=op.pk,
                    by_id=p.reviewed_by_id,
                    at=p.reviewed_at,
                    reason=p.review_reason,
                    monthly_cost=op.monthly_cost,
                    monthly_value=op.monthly_value,
                )
            )
    PhaseTransition.objects.bulk_create(transitions, batch_size=BATCH_SIZE)
    through.objects.bulk_create(performers, batch_size=BATCH_SIZE)
    PurposeReview.objects.bulk_create(reviews, batch_size=BATCH_SIZE)
    return operations, len(transitions)


# --- Helpers --------------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    """Today and the installation's time zone, looked up once per run."""

    today: dt.date
    zone: dt.tzinfo

    @classmethod
    def current(cls):
        return cls(timezone.localdate(), timezone.get_current_timezone())

    def moment(self, rng, days_ago):
        """A moment at office hours, ``days_ago`` local days before today."""
        day = self.today - dt.timedelta(days=days_ago)
        moment = dt.datetime.combine(day, dt.time(rng.randint(9, 17), rng.randint(0, 59)))
        return timezone.make_aware(moment, self.zone)


def _round_yen(amount):
    return max(1000, int(round(amount, -3)))


def _shared_password_hash():
    # One hash for every demo person but the logins: hashing is slow on purpose.
    return make_password(DEMO_PASSWORD)


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_users(usernames):
    user_model = get_user_model()
    found = {}
    for chunk in _chunks(list(usernames), IN_CHUNK):
        found.update(user_model.objects.filter(username__in=chunk).values_list("username", "pk"))
    return found


# --- Fixed demo -----------------------------------------------------------------


def fixed_demo_present():
    """Whether every operation of the fixed demo is already recorded in its team."""
    wanted = {(team, op.name.lower()) for team, ops in OPERATIONS.items() for op in ops}
    have = {
        (team, name.lower())
        for team, name in Operation.objects.filter(team__name__in=OPERATIONS).values_list(
            "team__name", "name"
        )
    }
    return wanted <= have


def _parse_step(token):
    head, _, note = token.partition(":")
    return LETTERS[head[0]], int(head[1:]), note.strip()


def _ensure_fixed_people():
    """Create the logins and demo people that are missing; return (ids by username, created)."""
    user_model = get_user_model()
    wanted = {username: (first, last, False) for username, first, last, _ in PEOPLE}
    wanted.update({u: (first, last, staff) for u, _, first, last, staff in LOGINS})
    existing = _existing_users(wanted)
    passwords = {username: password for username, password, *_ in LOGINS}
    shared = None
    new = []
    for username, (first, last, staff) in wanted.items():
        if username in existing:
            continue
        if username in passwords:
            password = make_password(passwords[username])
        else:
            shared = shared or _shared_password_hash()
            password = shared
        new.append(
            user_model(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@{EMAIL_DOMAIN}",
                password=password,
                is_staff=staff,
                is_superuser=staff,
            )
        )
    user_model.objects.bulk_create(new)
    ids = _existing_users(wanted)
    return ids, len(new)


def _fixed_plan(rng, calendar, team, spec, members, manager_id, user_ids):
    """The plan of one fixed operation."""
    others = [m for m in members if m != manager_id] or members
    owner = user_ids[spec.owner] if spec.owner else rng.choice(others)
    if owner not in members:
        raise ValueError(f"{spec.name}: its owner is not in {team.name}.")
    performers = []
    if spec.performers:
        pool = [m for m in others if m != owner]
        performers = [owner, *rng.sample(pool, min(len(pool), spec.performers - 1))]
    steps = []
    previous = last_days = None
    for token in spec.path:
        phase, days, note = _parse_step(token)
        if steps and days >= last_days:
            raise ValueError(f"{spec.name}: the steps of its path must get more recent.")
        last_days = days
        by = owner
        if previous is not None:
            move = classify_move(previous, phase)
            if move.needs_note and not note:
                raise ValueError(f"{spec.name}: the move {token} needs a note.")
            if move.kind != MoveKind.FORWARD:
                by = manager_id
        else:
            note = CREATED_NOTE
        steps.append(Step(phase, calendar.moment(rng, days), note, by))
        previous = phase
    reviewed_at = None
    if spec.reviewed is not None:
        reviewed_at = max(calendar.moment(rng, spec.reviewed), steps[0].at + dt.timedelta(hours=1))
    slug = slugify(spec.name)
    return Plan(
        team_id=team.pk,
        owner_id=owner,
        name=spec.name,
        purpose=spec.purpose,
        steps=steps,
        cost=spec.cost,
        value=spec.value,
        volume=spec.volume,
        runbook_url=f"{WIKI}/{slugify(team.name)}/{slug}" if spec.runbook else "",
        performer_ids=performers,
        reviewed_at=reviewed_at,
        reviewed_by_id=owner if reviewed_at else None,
        review_reason=rng.choice(REVIEW_REASONS) if reviewed_at else "",
    )


def _criteria_met(criterion, plan):
    label = criterion.label.lower()
    if "runbook" in label:
        return bool(plan.runbook_url)
    if "two people" in label:
        return len(plan.performer_ids) >= 2
    return True


def _checks_and_notes(rng, plan, criteria_by_phase, now):
    """Exit-criterion checks that fit the history; a note on moves that left some unmet."""
    checks = {}
    for index, step in enumerate(plan.steps):
        following = plan.steps[index + 1] if index + 1 < len(plan.steps) else None
        if step.phase == R:
            continue
        criteria = criteria_by_phase.get(step.phase, [])
        if following is None:
            # The current phase: part of its checklist done so far.
            span = max((now - step.at).total_seconds(), 3600)
            for criterion in criteria:
                if _criteria_met(criterion, plan) and rng.random() < 0.5:
                    at = step.at + dt.timedelta(seconds=rng.uniform(0, span))
                    checks.setdefault(criterion.pk, (criterion, at, step.by_id))
            continue
        if POSITION[following.phase] != POSITION[step.phase] + 1 or following.phase == R:
            continue  # a skip, a move back or a retirement: not checked on the way out
        span = (following.at - step.at).total_seconds()
        unmet = []
        for criterion in criteria:
            if _criteria_met(criterion, plan):
                at = following.at - dt.timedelta(seconds=rng.uniform(600, max(span / 3, 601)))
                checks.setdefault(criterion.pk, (criterion, at, step.by_id))
            else:
                unmet.append(criterion.label)
        if unmet and not following.note:
            following.note = "Moved on with exit criteria still open: “{}”. {}".format(
                "”, “".join(unmet), "Follow-up agreed with the team lead."
            )
    return [
        CriterionCheck(
            criterion=criterion,
            checked_by_id=by,
            checked_at=at,
            evidence=plan.runbook_url if "runbook" in criterion.label.lower() else "",
        )
        for criterion, at, by in checks.values()
    ]


def seed_fixed(seed=2024):
    """Build the fixed demo in one transaction, unless it is already there."""
    rng = random.Random(seed)
    with transaction.atomic():
        if fixed_demo_present():
            return FixedResult(skipped=True)
        user_ids, users_created = _ensure_fixed_people()
        teams = {}
        teams_created = 0
        for name, description, _manager in TEAMS:
            team, created = Team.objects.get_or_create(
                name=name, defaults={"description": description}
            )
            teams[name] = team
            teams_created += created
        memberships = [
            Membership(user_id=user_ids[manager], team=teams[name], role=Role.MANAGER)
            for name, _d, manager in TEAMS
        ]
        for username, _f, _l, team_names in PEOPLE:
            memberships += [
                Membership(user_id=user_ids[username], team=teams[t], role=Role.MEMBER)
                for t in team_names
            ]
        Membership.objects.bulk_create(memberships, ignore_conflicts=True)

        members = defaultdict(list)
        for team_id, user_id in Membership.objects.filter(team__in=teams.values()).values_list(
            "team_id", "user_id"
        ):
            members[team_id].append(user_id)
        for team_id in members:
            members[team_id].sort()
        managers = {name: user_ids[manager] for name, _d, manager in TEAMS}
        existing = {
            (team_id, name.lower())
            for team_id, name in Operation.objects.filter(team__in=teams.values()).values_list(
                "team_id", "name"
            )
        }
        criteria_by_phase = defaultdict(list)
        for criterion in PhaseCriterion.objects.filter(is_active=True).order_by(
            "phase", "position", "id"
        ):
            criteria_by_phase[criterion.phase].append(criterion)

        calendar = _Calendar.current()
        now = timezone.now()
        plans, checks = [], []
        for team_name, specs in OPERATIONS.items():
            team = teams[team_name]
            for spec in specs:
                if (team.pk, spec.name.lower()) in existing:
                    continue
                plan = _fixed_plan(
                    rng, calendar, team, spec, members[team.pk], managers[team_name], user_ids
                )
                checks.append(_checks_and_notes(rng, plan, criteria_by_phase, now))
                plans.append(plan)
        operations, transitions = _write_operations(plans)
        rows = []
        for op, op_checks in zip(operations, checks, strict=True):
            for check in op_checks:
                check.operation_id = op.pk
                rows.append(check)
        CriterionCheck.objects.bulk_create(rows)
        # The future ops team: roles, skills, levels and learning plans of these teams.
        seed_organization(teams.values(), user_ids.values(), rng)
    return FixedResult(
        teams=teams_created,
        operations=len(operations),
        users=users_created,
        transitions=transitions,
        checks=len(rows),
    )


# --- Generated volume -------------------------------------------------------------

# Realistic proportions: most operations are past launch, and some are retired.
PHASE_WEIGHTS = ((L, 18), (S, 27), (A, 22), (C, 18), (R, 15))
# Performer counts: few in launch, usually two or more afterwards.
LAUNCH_PERFORMERS = ((0, 10), (1, 50), (2, 30), (3, 10))
LATER_PERFORMERS = ((0, 3), (1, 17), (2, 35), (3, 30), (4, 15))
RUNBOOK_SHARE = {L: 0.35, S: 0.8, A: 0.9, C: 0.9, R: 0.6}
RETIRED_FROM = ((L, 25), (S, 35), (A, 25), (C, 15))
UNJUSTIFIED_VALUE_SHARE = 0.15
OVERDUE_REVIEW_SHARE = 0.2
MIN_COST, MAX_COST = 50_000, 2_000_000


def _cumulative(weights):
    values, total, cumulative = [], 0, []
    for value, weight in weights:
        total += weight
        values.append(value)
        cumulative.append(total)
    return values, cumulative


PHASES_CUM = _cumulative(PHASE_WEIGHTS)
LAUNCH_PERFORMERS_CUM = _cumulative(LAUNCH_PERFORMERS)
LATER_PERFORMERS_CUM = _cumulative(LATER_PERFORMERS)
RETIRED_FROM_CUM = _cumulative(RETIRED_FROM)
CATALOGUE = tuple(
    (spec.name, spec.purpose, slugify(spec.name)) for specs in OPERATIONS.values() for spec in specs
)


def _pick(rng, cumulative):
    values, cum = cumulative
    return rng.choices(values, cum_weights=cum)[0]


def _sequence(rng, phase):
    """The phases an operation in ``phase`` went through, and the note of each move."""
    r = rng.random()
    if phase == L:
        return [L]
    if phase == S:
        if r < 0.04:
            return [L, S, A, S]
        if r < 0.05:
            return [L, S, R, S]
        return [L, S]
    if phase == A:
        return [L, A] if r < 0.06 else [L, S, A]
    if phase == C:
        return [L, S, C] if r < 0.05 else [L, S, A, C]
    before = _pick(rng, RETIRED_FROM_CUM)
    return [*(p for p in WORKING if POSITION[p] <= POSITION[before]), R]


def _note(rng, previous, phase):
    if phase == R:
        return rng.choice(RETIRE_NOTES)
    if previous == R:
        return rng.choice(REINSTATE_NOTES)
    if POSITION[phase] < POSITION[previous]:
        return rng.choice(BACKWARD_NOTES)
    if POSITION[phase] > POSITION[previous] + 1:
        return rng.choice(SKIP_NOTES)
    return rng.choice(FORWARD_NOTES[phase]) if rng.random() < 0.3 else ""


def _days_in(rng, phase):
    """How long an operation stayed in a phase it has since left."""
    if phase == L:  # most move on within two months, many do not
        return rng.randint(14, 60) if rng.random() < 0.6 else rng.randint(61, 200)
    if phase == R:
        return rng.randint(30, 300)
    return rng.randint(30, 400)


def _days_since_last_move(rng, phase):
    if phase == L:
        r = rng.random()
        if r < 0.4:
            return rng.randint(1, 44)
        if r < 0.6:
            return rng.randint(45, 60)  # due soon
        return min(61 + int(rng.expovariate(1 / 80)), 700)  # stalled
    return min(1 + int(rng.expovariate(1 / 120)), 900)


def _generated_plan(rng, calendar, team_id, name, kind, people):
    """A plausible operation of a generated team, with its history."""
    _kind_name, purpose, kind_slug = kind
    manager, owner = people[0], rng.choice(people)
    phases = _sequence(rng, _pick(rng, PHASES_CUM))
    days = [_days_since_last_move(rng, phases[-1])]
    for phase in reversed(phases[:-1]):
        days.append(days[-1] + _days_in(rng, phase))
    days.reverse()
    steps = []
    previous = None
    for phase, ago in zip(phases, days, strict=True):
        if previous is None:
            note, by = CREATED_NOTE, owner
        else:
            note = _note(rng, previous, phase)
            forward = POSITION[phase] == POSITION[previous] + 1 and R not in (phase, previous)
            by = owner if forward and rng.random() < 0.7 else manager
        steps.append(Step(phase, calendar.moment(rng, ago), note, by))
        previous = phase

    current = phases[-1]
    cost = _round_yen(math.exp(rng.uniform(math.log(MIN_COST), math.log(MAX_COST))))
    if rng.random() < UNJUSTIFIED_VALUE_SHARE:
        value = _round_yen(cost * rng.uniform(0.3, 0.95))
    else:
        value = _round_yen(cost * rng.uniform(1.1, 4.0))

    created_days = days[0]
    reviewed_days = None
    if rng.random() < OVERDUE_REVIEW_SHARE:
        if created_days > 185 and rng.random() < 0.6:
            reviewed_days = rng.randint(181, created_days - 1)
    elif created_days > 170 or rng.random() < 0.5:
        if created_days > 1:
            reviewed_days = rng.randint(1, min(170, created_days - 1))
    reviewed_at = calendar.moment(rng, reviewed_days) if reviewed_days is not None else None

    count = _pick(rng, LAUNCH_PERFORMERS_CUM if current == L else LATER_PERFORMERS_CUM)
    performers = []
    if count:
        if rng.random() < 0.85:
            performers = [owner, *rng.sample([p for p in people if p != owner], count - 1)]
        else:
            performers = rng.sample(people, count)
    runbook = rng.random() < RUNBOOK_SHARE[current]
    return Plan(
        team_id=team_id,
        owner_id=owner,
        name=name,
        purpose=purpose,
        steps=steps,
        cost=cost,
        value=value,
        volume=int(math.exp(rng.uniform(math.log(5), math.log(20_000)))),
        runbook_url=f"{WIKI}/t{team_id}/{kind_slug}-{name.rsplit('#', 1)[-1]}" if runbook else "",
        performer_ids=performers,
        reviewed_at=reviewed_at,
        reviewed_by_id=owner if reviewed_at else None,
        review_reason=rng.choice(REVIEW_REASONS) if reviewed_at else "",
    )


def _team_people(team_name):
    """The same ten people for a team on every run: (username, first, last)."""
    rng = random.Random(f"people:{team_name}")
    code = slugify(team_name).replace("-", "")
    people = []
    for index in rng.sample(range(len(FIRST_NAMES) * len(LAST_NAMES)), PEOPLE_PER_TEAM):
        first = FIRST_NAMES[index // len(LAST_NAMES)]
        last = LAST_NAMES[index % len(LAST_NAMES)]
        username = f"{slugify(first)}.{slugify(last)}.{code}"
        people.append((username, first, last))
    return people


def _ensure_generated_teams(count):
    """Teams "Team 001"… and their people; returns [(team, [user ids, manager first])]."""
    user_model = get_user_model()
    width = max(3, len(str(count)))
    names = [f"Team {n:0{width}d}" for n in range(1, count + 1)]
    with transaction.atomic():
        existing = {t.name: t for t in Team.objects.filter(name__in=names)}
        new = [
            Team(name=n, description="Generated by seed_demo for volume.")
            for n in names
            if n not in existing
        ]
        Team.objects.bulk_create(new)
        teams = {t.name: t for t in Team.objects.filter(name__in=names)}

        people = {name: _team_people(name) for name in names}
        wanted = {u: (first, last) for team in people.values() for u, first, last in team}
        have = _existing_users(wanted)
        password = _shared_password_hash() if len(have) < len(wanted) else None
        users = [
            user_model(
                username=u,
                first_name=first,
                last_name=last,
                email=f"{u}@{EMAIL_DOMAIN}",
                password=password,
            )
            for u, (first, last) in wanted.items()
            if u not in have
        ]
        user_model.objects.bulk_create(users, batch_size=BATCH_SIZE)
        ids = _existing_users(wanted)
        memberships = [
            Membership(
                user_id=ids[username],
                team=teams[name],
                role=Role.MANAGER if index == 0 else Role.MEMBER,
            )
            for name in names
            for index, (username, _f, _l) in enumerate(people[name])
        ]
        Membership.objects.bulk_create(memberships, batch_size=BATCH_SIZE, ignore_conflicts=True)
    result = [(teams[name], [ids[u] for u, _f, _l in people[name]]) for name in names]
    return result, len(new), len(users)


def seed_generated(ops, teams, seed=1, progress=None):
    """Add ``ops`` generated operations over ``teams`` generated teams, in bulk batches."""
    started = time.monotonic()
    result = GeneratedResult(teams=teams)
    team_people, result.new_teams, result.users = _ensure_generated_teams(teams)
    team_ids = [team.pk for team, _people in team_people]

    # Names continue after each team's existing operations and never repeat one.
    taken = defaultdict(set)
    for chunk in _chunks(team_ids, IN_CHUNK):
        for team_id, name in Operation.objects.filter(team_id__in=chunk).values_list(
            "team_id", "name"
        ):
            taken[team_id].add(name.lower())
    counters = {team_id: len(taken[team_id]) for team_id in team_ids}
    existing_total = sum(counters.values())
    rng = random.Random(f"seed_demo:{seed}:{teams}:{existing_total}")

    # Uneven teams, as in real life, but every team gets some when there are enough.
    weights = [rng.lognormvariate(0, 0.6) for _ in team_ids]
    assignment = list(range(min(ops, len(team_ids))))
    assignment += rng.choices(range(len(team_ids)), weights=weights, k=ops - len(assignment))
    rng.shuffle(assignment)

    calendar = _Calendar.current()
    for start in range(0, ops, BATCH_SIZE):
        plans = []
        for index in assignment[start : start + BATCH_SIZE]:
            team, people = team_people[index]
            kind = rng.choice(CATALOGUE)
            while True:
                counters[team.pk] += 1
                name = f"{kind[0]} #{counters[team.pk]}"
                if name.lower() not in taken[team.pk]:
                    break
            taken[team.pk].add(name.lower())
            plans.append(_generated_plan(rng, calendar, team.pk, name, kind, people))
        with transaction.atomic():
            operations, transitions = _write_operations(plans)
        result.operations += len(operations)
        result.transitions += transitions
        if progress:
            progress(result.operations, ops)
    _refresh_planner_statistics()
    result.seconds = time.monotonic() - started
    return result


def _refresh_planner_statistics():
    """After a bulk load, let PostgreSQL's planner see the new rows now.

    Autovacuum would analyze the tables later; the scan and the snapshot
    backfill that seed_demo runs next would otherwise be planned for nearly
    empty tables (at 100,000 operations: 12 s instead of 6 s for twelve weeks
    of snapshots, 3 s instead of 1 s for the scan). Analyzing takes 0.5 s.
    """
    if connection.vendor != "postgresql":
        return
    models = (Operation, Operation.performers.through, PhaseTransition, PurposeReview)
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
