"""The console: server-rendered pages for people signed in through identity. Every page reads and writes
through the other services' HTTP APIs with the person's own token; the console keeps sessions and nothing
of the cases. Each group of pages is a mixin in `pages/`; `frame.py` holds what every page goes through."""
from services.console.frame import ConsoleFrame
from services.console.pages.appointments import AppointmentPages
from services.console.pages.callers import CallerPages
from services.console.pages.callbacks import CallbackPages
from services.console.pages.cases import CasePages
from services.console.pages.contact_export import ContactExportPages
from services.console.pages.data_protection import DataProtectionPages
from services.console.pages.focal_point import FocalPointPages
from services.console.pages.manager import ManagerPages
from services.console.pages.operations import OperationsPages
from services.console.pages.partner import PartnerPages
from services.console.pages.replies import ReplyPages
from services.console.pages.retention import RetentionPages
from services.console.pages.sign_in import SignInPages
from services.console.pages.supervisor import SupervisorPages
from services.console.pages.users import UserPages
from services.console.settings import ConsoleSettings


class ConsoleService(SignInPages, CasePages, CallbackPages, AppointmentPages, CallerPages, FocalPointPages,
                     PartnerPages, SupervisorPages, ManagerPages, OperationsPages, UserPages, DataProtectionPages,
                     ContactExportPages, RetentionPages, ReplyPages, ConsoleFrame):
    name = "console"


SERVICE = ConsoleService
SETTINGS = ConsoleSettings
