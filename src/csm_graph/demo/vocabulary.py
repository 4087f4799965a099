"""The words and odds the demo draws from.

Changing a list or a weight changes what every seed generates: the data
set stays reproducible for a seed only while these stay as they are.
"""

from __future__ import annotations

from csm_graph.cases.models import CaseState
from csm_graph.households.models import Relationship

FIRST = [
    "Ann", "Bob", "Cleo", "Dev", "Eva", "Finn", "Gia", "Hal", "Ivy", "Jon", "Kai", "Lena",
    "Mo", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wen", "Yara",
]  # fmt: skip
LAST = [
    "Lee", "Ray", "Diaz", "Khan", "Novak", "Silva", "Okafor", "Berg", "Moss", "Ueda",
    "Park", "Rossi", "Meyer", "Haddad", "Costa", "Nguyen", "Olsen", "Varga", "Kowal", "Abe",
]  # fmt: skip
CITIES = [
    ("Reno", "NV", "895"), ("Austin", "TX", "787"), ("Boise", "ID", "837"),
    ("Tulsa", "OK", "741"), ("Salem", "OR", "973"), ("Dayton", "OH", "454"),
]  # fmt: skip
STREETS = ["Oak St", "Maple Ave", "Pine Rd", "Cedar Ln", "Elm Way", "Birch Ct", "Lake Dr"]
PRODUCTS = [
    "Fiber 500", "Fiber 1000", "Mobile Plan S", "Mobile Plan L", "TV Basic", "TV Plus",
    "Router X2", "Smart Home Hub", "Home Phone", "Streaming Box",
]  # fmt: skip
TOPICS = [
    "Internet drops every evening", "Bill higher than expected", "Cannot log in to the app",
    "Router lights blinking red", "Request to change plan", "Charged twice this month",
    "TV channels missing", "Slow speed upstairs", "Moving house next month",
    "Complaint about the technician visit", "Password reset does not arrive",
    "Question about the contract end date",
]  # fmt: skip
REPLIES = [
    "Thanks, we are looking into it.", "Could you restart the device and tell us the result?",
    "It works again, thank you.", "Still the same problem here.",
    "A technician is booked for Tuesday.", "The credit will show on the next bill.",
    "Please send a photo of the error.", "Done, here it is.",
]  # fmt: skip
NOTES = [
    "Checked line metrics: noise on port 4.", "Escalated to billing tier 2.",
    "Known outage in the area, ticket NET-4411.", "Customer called twice about this.",
]  # fmt: skip
LANGUAGES = ["en", "en", "en", "es", "fr", "de", "pt"]
STATE_WEIGHTS = {
    CaseState.NEW: 10,
    CaseState.OPEN: 25,
    CaseState.AWAITING_INFO: 10,
    CaseState.RESOLVED: 10,
    CaseState.CLOSED: 35,
    CaseState.CANCELLED: 10,
}
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
HOUSEHOLD_WEIGHTS = (25, 30, 20, 14, 7, 4)
MEMBER_RELATIONSHIPS = [
    Relationship.SPOUSE, Relationship.PARTNER, Relationship.CHILD, Relationship.CHILD,
    Relationship.DEPENDENT, Relationship.OTHER,
]  # fmt: skip
SURVEY_COMMENTS = [
    "Quick and friendly, thank you.", "Took three calls to get it sorted.",
    "The technician was great.", "Fine in the end, but slow to start.",
    "Clear answer, problem gone.", "Nobody told me the case was closed.",
]  # fmt: skip
