"""kefu's in-house NLP: one tokenizer for Chinese, English and mixed text, language
detection, stop words, and the two models the bot and the analytics use (a Naive Bayes
intent classifier and an SVM sentiment classifier). Plain Python and scikit-learn; Rasa
is only imported by :mod:`nlp.rasa_components`.
"""

from nlp.intent import NaiveBayesIntentClassifier
from nlp.language import detect_language
from nlp.persistence import ModelFormatError
from nlp.sentiment import SvmSentimentClassifier
from nlp.stopwords import stopwords
from nlp.tokenize import Token, Tokenizer, normalize, tokenize

__all__ = [
    "ModelFormatError",
    "NaiveBayesIntentClassifier",
    "SvmSentimentClassifier",
    "Token",
    "Tokenizer",
    "detect_language",
    "normalize",
    "stopwords",
    "tokenize",
]
