"""A fake P2Pool Observer for tests and the offline demo.

FakeObserver serves the REST API (FakeObserverHTTP) and the /api/events
websocket (FakeEventStream) on 127.0.0.1, on ports the OS picks. Run
`python3 -m fake_observer --help` (with tests/ on PYTHONPATH) for the
command-line server.
"""

from .data import (FIXTURES_DIR, ObserverData, encode_list, encode_object,
                   fixture_path, load_fixture, select_payouts)
from .events import FakeEventStream
from .http_server import FakeObserverHTTP, Request, Rule


class FakeObserver:
    """Both halves of the fake observer, started and stopped together.

    http: the FakeObserverHTTP (scripting, recorded requests, data);
    events: the FakeEventStream; data: the ObserverData being served.
    """

    def __init__(self, data=None, host="127.0.0.1", events=True):
        self.http = FakeObserverHTTP(data=data, host=host)
        self.events = FakeEventStream(host=host) if events else None

    @property
    def data(self):
        return self.http.data

    @property
    def url(self):
        return self.http.url

    @property
    def events_url(self):
        return self.events.url if self.events else None

    def start(self):
        self.http.start()
        if self.events:
            self.events.start()
        return self

    def stop(self):
        try:
            self.http.stop()
        finally:
            if self.events:
                self.events.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


__all__ = [
    "FIXTURES_DIR", "FakeEventStream", "FakeObserver", "FakeObserverHTTP",
    "ObserverData", "Request", "Rule", "encode_list", "encode_object",
    "fixture_path", "load_fixture", "select_payouts",
]
