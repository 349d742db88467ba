"""An embedded Odoo: a faithful double of Odoo 17/18/19's external API (like moto for AWS).

Clients talk to it over the real wire protocols (JSON-RPC, XML-RPC, JSON-2), so the same
connector code works unchanged against a real Odoo.
"""

from sandbox.odoo.database import Database
from sandbox.odoo.server import EmbeddedOdoo, create_app

__all__ = ["Database", "EmbeddedOdoo", "create_app"]
