"""Training the credit-risk model: feature spec, candidate models, evaluation, artifact."""
