"""Thin Rasa adapters of kefu's NLP, configured by module path in ``bot/config.yml``::

    pipeline:
      - name: nlp.rasa_components.tokenizer.KefuTokenizer
      - name: nlp.rasa_components.intent_classifier.KefuIntentClassifier
      - name: FallbackClassifier
        threshold: 0.5
      - name: nlp.rasa_components.sentiment.KefuSentimentAnalyzer

Importing a module registers its component with Rasa's ``DefaultV1Recipe``; this package
imports nothing itself so that ``nlp`` stays usable without Rasa.
"""
