"""Skills Recommendation Engine: job adverts turned into evidence about skills.

The package does the computing; the notebooks in ``notebooks/`` tell the story.
Nothing heavy runs at import.
"""

__version__ = "0.1.0"
