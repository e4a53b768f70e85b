"""The commands behind ``personagen``: terminal interviews, batch runs, sessions and persona.

:mod:`server.cli` parses the command line and calls into this package. Every command talks to
a :class:`~server.commands.backends.Backend`: either a running server (WebSocket events plus
the HTTP API, with a token) or, in the same process, a :class:`~server.manager.SessionManager`
over a local ``profiles/`` folder. Both speak the same protocol v1 frames, so an interview, a
batch run or a review behaves the same way in either place.

Modules, bottom up:

* :mod:`~server.commands.common`: exit codes, errors, the console (colour, ``--json``);
* :mod:`~server.commands.login`: the login file (``~/.config/personagen/login.json``, 0600)
  and choosing between a server and a local folder;
* :mod:`~server.commands.backends`: the remote and the local backend;
* :mod:`~server.commands.terminal`: reading lines from a terminal or a pipe, Ctrl+C;
* :mod:`~server.commands.render`: progress bars, transcripts, tables and diffs as text;
* :mod:`~server.commands.review`: the diff, the strategy question and the apply;
* :mod:`~server.commands.interview`, :mod:`~server.commands.batch`,
  :mod:`~server.commands.sessions`, :mod:`~server.commands.persona`: the commands.
"""
