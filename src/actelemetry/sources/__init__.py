"""Where pages come from: the game, the built-in simulator, a raw recording played back."""
