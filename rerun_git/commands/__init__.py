"""One module per subcommand: parse arguments -> one typed API call -> print.

Commands import the flows (capture, reproduce, browse, check, report,
scaffold), record, settings and errors; never store.
"""
