"""The words of simulated posts: a vocabulary per topic, a greeting per
language and the words of spam."""

from __future__ import annotations

__all__ = ["GREETINGS", "SPAM_WORDS", "TOPICS", "VOCABULARY"]

VOCABULARY: dict[str, tuple[str, ...]] = {
    "politics": ("election", "senate", "policy", "vote", "debate", "campaign"),
    "sport": ("match", "goal", "league", "coach", "season", "striker"),
    "music": ("album", "concert", "guitar", "chorus", "vinyl", "festival"),
    "science": ("experiment", "telescope", "genome", "physics", "research", "lab"),
    "tech": ("software", "startup", "chip", "python", "cloud", "robot"),
    "film": ("cinema", "director", "trailer", "premiere", "actor", "screenplay"),
    "food": ("recipe", "bakery", "noodles", "spices", "brunch", "chef"),
    "travel": ("flight", "hostel", "island", "passport", "itinerary", "beach"),
    "art": ("painting", "gallery", "sculpture", "canvas", "museum", "sketch"),
    "books": ("novel", "poetry", "chapter", "library", "memoir", "bookshop"),
    "gaming": ("console", "speedrun", "quest", "arcade", "esports", "controller"),
    "health": ("fitness", "sleep", "nutrition", "yoga", "clinic", "running"),
    "finance": ("market", "stocks", "inflation", "budget", "crypto", "savings"),
    "climate": ("emissions", "solar", "wildfire", "drought", "renewables", "glacier"),
    "fashion": ("runway", "denim", "sneakers", "tailoring", "vintage", "couture"),
    "pets": ("puppy", "kitten", "aquarium", "parrot", "leash", "adoption"),
}
"""Six words per topic; a post's text draws from the vocabularies of its topics."""
TOPICS: tuple[str, ...] = tuple(VOCABULARY)
"""Topic names in order; a network with ``n_topics = K`` uses the first K."""
GREETINGS: tuple[str, ...] = ("today", "hoy", "aujourd'hui")
"""The first word of a post, by language (in the order of
:data:`~feedrank.datasets.network.LANGUAGES`)."""
SPAM_WORDS = "giveaway free followers click link"
"""The words that open the text of a spam post."""
