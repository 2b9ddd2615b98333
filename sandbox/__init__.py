"""The sandbox: a real HTTP server imitating NetEase, QQ Music, Kuwo, Migu, Kugou and Qianqian.

It serves a deterministic generated catalog (``sandbox.catalog``) in the shapes
documented in ``../shared/platforms`` with real audio bytes. ``make run`` uses
it as the default platform when offline; the tests use it as the only fake.
"""
