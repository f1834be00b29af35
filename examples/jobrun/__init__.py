"""JobRun: missed-call text-back for trades, with an operator cockpit (seed 000_25df625...)."""
