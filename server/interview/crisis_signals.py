"""Crisis signals beyond the frames: methods and means, self-harm on the body, and the weaker
signs that count only together (pure, no I/O).

*Strong* signals pause the interview on their own, like the frames in
:mod:`server.interview.crisis_frames`: a self-harm verb on one's own body or an instrument
against it, a question about how many pills it would take, swallowing everything in the
cabinet, a place that "keeps calling me", praying to be taken, not expecting to live to an
age or through a season, death as the way out.

*Weighted* signals are signs that alone only warrant a gentle check-in and together mean a
crisis: hopelessness ("I can't keep doing this"), finality ("this is the last month", "I'm
done", "I've said what I needed to say to everyone"), giving belongings or a pet away, "I
won't need them", "when I'm gone", a note left for someone, "just in case". The weights of
an answer's signals add up; see :func:`server.interview.crisis.detect_crisis`.

All patterns read text normalized by :func:`server.interview.text.normalize_for_matching`.
"""

from __future__ import annotations

import re

_BODY_PARTS = (
    r"(?:arms?|forearms?|legs?|wrists?|thighs?|skin|stomach|body|hips?|ankles?|hands?|fingers?|"
    r"chest|neck|face|feet|shoulders?)"
)
_BODY = (
    r"(?:myself(?! (?:some )?slack| off\b| a (?:slice|piece|break|bit)| short| out of| up\b|"
    r" down\b)"
    r"|my (?:own )?" + _BODY_PARTS + r")"
)
_ACCIDENT = re.compile(
    r"\b(?:cooking|kitchen|oven|stove|hob|pan|kettle|iron(?:ing)?|shaving|accident\w*|by mistake|"
    r"chopping|slipped|fell|falling|garden\w*|climbing|football|rugby|hockey|match|training|"
    r"sport\w*|bbq|barbecue|sunburn\w*|sun|beach|workshop|tools?|saw|drill|bike|crash|"
    r"tattoo\w*|surgery|operation|doctor|nurse|ski\w*|running|lifting|gym|playing|exercis\w*|"
    r"work(?:ing)? out|workout|hiking|cycling|dancing|yoga|skating|surfing)\b"
)
_PILLS = (
    r"(?:pills|tablets|meds|medication|medicine|painkillers|paracetamol|tylenol|ibuprofen|"
    r"aspirin|insulin|sleeping \w+|antidepressants|heart pills|pills of \w+)"
)
_TIME_AHEAD = (
    r"(?:\d+|twenty|thirty|forty|fifty|sixty|seventy|eighty|\w+teen|my \w+ birthday|christmas|"
    r"new year|next (?:year|month|week|spring|summer|autumn|fall|winter|christmas)|"
    r"(?:the|this) (?:winter|summer|spring|autumn|fall|year|month|week|weekend)|"
    r"the end of (?:the|this) \w+|spring|summer|autumn|winter|tomorrow)"
)

_STRONG: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        (
            "self-harm",
            r"\b(?:cut|cutting|slash\w*|burn|burning|burnt|burned|scratch\w*|carv\w*|starv\w*)\b "
            r"(?:\w+ ){0,2}" + _BODY + r"\b"
            r"|\b(?:hurt|hurting|harm\w*|hit|hitting|punch\w*|bruis\w*) (?:\w+ ){0,2}"
            + _BODY
            + r" (?:again|on purpose|deliberately|to (?:feel|cope|calm|numb|punish|stop))\b",
        ),
        (
            "self-harm",
            r"\b(?:razor|blades?|knife|lighter|cigarettes?|compass)\b.{0,40}\b"
            r"(?:against|into|on|across|to) " + _BODY + r"\b"
            r"|\b" + _BODY + r"\b.{0,30}\b(?:with|against) (?:a |the |my )?"
            r"(?:razor|blades?|knife|lighter|cigarettes?|compass)\b",
        ),
        (
            "method or plan",
            r"\b(?:how (?:many|much)|enough|all (?:of )?(?:my|the|those)|a (?:whole )?(?:bottle|"
            r"box|"
            r"pack|packet|handful|stash|drawer) of)\b.{0,40}\b" + _PILLS + r"\b.{0,40}"
            r"(?:would take|it would take|it takes|take to|to (?:die|end|not wake|make sure|do it|"
            r"kill)|saved|stashed|hidden|ready|put aside|dont wake|not wake|never wake|be enough)",
        ),
        (
            "method or plan",
            r"\b(?:looked up|look up|looking up|researched|researching|googled|googling|searched|"
            r"searching|read up on)\b.{0,40}\b(?:" + _PILLS + r"|overdos\w*|ways to (?:die|go|end)|"
            r"how to (?:die|end it|kill)|lethal|painless|methods?|how high|how long it takes)\b",
        ),
        (
            "method or plan",
            r"\bswallow\w* (?:everything|all of it|the lot|whatever|every pill|the whole)\b",
        ),
        (
            "method or plan",
            r"\b(?:bridge|tracks|river|sea|water|cliff|edge|ledge|rope|pills|train|roof|balcony|"
            r"window|traffic|road|motorway)\b (?:\w+ ){0,4}(?:keeps? |is |are |has been |"
            r"have been )?"
            r"(?:calling|pulling|tempting|inviting|beckoning|whispering)(?: (?:to|at|for))? me\b",
        ),
        (
            "wish to die",
            r"\b(?:pray|prays|praying|prayed|hope|hoping|wish|wishing)\b.{0,30}\b(?:takes?|would "
            r"take|will take|to take|comes? for|would come for) me\b(?! to| on| out| back| for| "
            r"seriously| with| along| shopping| there| away from)",
        ),
        (
            "future absence",
            r"\b(?:dont|do not|cant|cannot|not sure|doubt|never)\b (?:\w+ ){0,3}(?:make it|making "
            r"it|last|lasting|survive|surviving|be alive|being alive|be around|be here|live|living)"
            r" (?:to|through|past|until|till|beyond|to see|another|for another|much past) "
            r"(?:\w+ )?" + _TIME_AHEAD + r"\b",
        ),
        (
            "death as a way out",
            r"(?<!his )(?<!her )(?<!their )\b(?:death|dying|suicide|killing myself|ending (?:it|my "
            r"life|things)|not being here|being dead|not waking up)\b.{0,40}\b(?:only|best|"
            r"easiest|last|one|real)? ?(?:way out|option|answer|solution|escape|exit|choice)\b",
        ),
        (
            "wish, plan or intent to be gone",
            r"\b(?:make sure|so that|so) (?:that )?i (?:\w+ )?(?:dont|do not|never|wont|will not)"
            r" (?:wake up|come back|have to wake up|have to come back)\b",
        ),
        (
            "burden or better off without me",
            r"\b(?:im|i am|ive become|i feel like|feel like im|i feel)\b (?:\w+ ){0,2}(?:a |"
            r"such a |"
            r"just a |only a |nothing but a )?(?:burden|weight|drain|millstone|nuisance|waste of "
            r"(?:space|air|oxygen|time)|problem) (?:to|on|for|around|in) (?:everyone|everybody|them"
            r"|people|my \w+|(?:everyones|everybodys|their|my \w+s) (?:necks?|lives|way))\b",
        ),
        (
            "method or plan",
            r"\b(?:looked up|look up|looking up|researched|researching|googled|googling|searched|"
            r"searching|checking|checked)\b.{0,40}\b(?:tallest|highest|car parks?|parking "
            r"(?:garages?|structures?)|multi ?stor(?:e)?y|bridges?|cliffs?|drops?|rooftops?)\b",
        ),
        (
            "method or plan",
            r"\b(?:keep|kept|have|hide|hid|hidden|hiding|got) (?:a |the |my |some )?(?:blades?|"
            r"razors?|"
            r"rope|pills|gun|knife|tablets)\b.{0,40}\b(?:for (?:the )?(?:bad|dark|worst|hard) "
            r"(?:nights?|days?|times?|moments?)|for when|ready|just in case)\b",
        ),
        (
            "method or plan",
            r"\b(?:so|how|would be|its|it is|"
            r"be) (?:so )?easy (?:it would be )?to (?:just )?(?:step|jump|"
            r"turn the wheel|swerve|let go|fall|end it|take (?:them|it|all)|swallow|drive off|"
            r"drive into|walk into|lean)",
        ),
        (
            "method or plan",
            r"\b(?:edge|ledge|platform|railing|rail|parapet)\b.{0,40}\b(?:lean\w* (?:forward|over|"
            r"out)"
            r"|step (?:off|forward|over)|let go|jump|fall)\b",
        ),
        (
            "method or plan",
            r"\b(?:meds|pills|tablets|medication|prescription)\b.{0,60}\b(?:saving|saved|"
            r"stockpiling|hoarding|collecting|keeping|stashing) (?:them|it|those)(?: all)?"
            r"(?: up| aside)?\b",
        ),
        (
            "method or plan",
            r"\b(?:thought|thinking|think|thinks|considered|considering|fantasi\w+|dream\w*)"
            r" (?:\w+ ){0,2}(?:about|of) (?:\w+ ){0,2}(?:overdos\w*|hanging myself|ending it|"
            r"ending things|ending my life|my own death|killing myself|not being here|not existing|"
            r"disappearing for good|jumping (?:off|from|in front))\b(?! with| off| between)",
        ),
        (
            "self-harm",
            r"\b(?:what|something) (?:i )?(?:might|could|would|will|am going to) do to myself\b",
        ),
        (
            "wish to die",
            r"\blost (?:the|my|all) will to live\b|\bno (?:will|reason) to live\b"
            r"|\b(?:ends?|ending|end) (?:\w+ ){0,2}with me (?:gone|dead|not here|not around)\b"
            r"|\bwith me (?:gone|dead)\b",
        ),
        (
            "danger or abuse now",
            r"\bfinish what (?:he|she|they) started\b|\b(?:find|come for|get to) me and (?:finish|"
            r"kill|hurt)\b",
        ),
        (
            "burden or better off without me",
            r"\b(?:do|does|would do|be) (?:so )?(?:more good|better|more)\b.{0,40}\bthan (?:i do|i "
            r"ever could|me|im worth|i am)\b|\bworth more dead\b"
            r"|\b(?:im|i am|i feel like|feel like im) (?:just |only )?a waste of (?:space|air|"
            r"oxygen|skin)",
        ),
        (
            "wish to die",
            r"\b(?:disappointed|sad|upset|annoyed|angry|gutted) (?:that )?i (?:still )?(?:woke up|"
            r"am "
            r"still here|survived|didnt die|made it|wake up)\b(?! (?:too |so )?(?:late|early))"
            r"|\b(?:dont|do not) want to be (?:rescued|saved|found|stopped|resuscitated|revived)\b",
        ),
        (
            "method or plan",
            r"\b(?:hoard|stockpil|stash|sav|collect)\w* (?:\w+ ){0,3}(?:pills|painkillers|tablets|"
            r"meds|medication|paracetamol|sleeping \w+|insulin)\b"
            r"|\b(?:planned|worked out|figured out|decided) (?:exactly )?how (?:id|i would|i will|"
            r"im going to|to) do it\b"
            r"|\b(?:meaning|intending|planning|meant|planned) not to (?:come back|return)\b"
            r"|\b(?:only|one|best) way (?:to|out|of) .{0,40}\b(?:not (?:be|being) (?:alive|here)|"
            r"die|dying|be dead|death|not exist)\b",
        ),
        (
            "danger or abuse now",
            r"\b(?:hurt|kill|hit|beat|harm) (?:me|us|my (?:\w+ )?(?:sister|brother|mum|mom|kids?|"
            r"children|son|daughter|baby|dog|cat)) if (?:i|we) (?:ever )?(?:tell|leave|go|say|"
            r"call)",
        ),
        (
            "voices",
            r"\bvoices? (?:\w+ )?(?:tell|tells|telling|told|say|says|saying) (?:me )?(?:to|that i "
            r"should|i should) (?:\w+ )?(?:end it|kill|hurt|die|jump|cut)\b",
        ),
        (
            "method or plan",
            r"\b(?:take|taking|swallow\w*|took) "
            r"(?:a whole |the whole |a |all (?:of )?(?:my |the )?)"
            r"(?:box|bottle|pack|packet|handful|lot|strip|blister|tub)s? "
            r"(?:of )?(?:my |the |those )?" + _PILLS + r"\b"
            r"|\bunder (?:the )?(?:bath ?)?water\b.{0,60}\b(?:dont|do not|never|not) "
            r"(?:want to )?"
            r"come (?:back )?up\b",
        ),
        (
            "method or plan",
            r"\b(?:engine|car|motor) (?:\w+ )?(?:running|on|idling)\b.{0,50}\bgarage\b"
            r"|\bgarage\b.{0,60}\b(?:engine|motor) (?:\w+ )?(?:running|on|idling)\b"
            r"|\b(?:tied|tie|tying|looped|hung|knotted) (?:a |the |my )?(?:belt|rope|scarf|cord|"
            r"cable|sheet|tie|dressing gown cord)\b.{0,30}\b(?:door ?handle|banister|beam|hook|"
            r"rail|"
            r"bar|pipe|tree|neck|wardrobe)\b"
            r"|\b(?:peaceful|nice|easy|a relief|restful|quiet|"
            r"simple) it would be to (?:just )?(?:stop|"
            r"not wake|go to sleep|sleep forever|end|disappear|let go|not be here)\b"
            r"|" + _PILLS + r"\b.{0,40}\b(?:than i should|to see what (?:would )?happen|on purpose|"
            r"deliberately)\b"
            r"|\b(?:reading|read|watching|browsing|looking at|searching) (?:\w+ ){0,2}about "
            r"methods\b"
            r"|\bplan\b.{0,40}\bnot (?:to )?be (?:in it|here|around|alive)\b"
            r"|\bclose my eyes and (?:not|never) open them\b",
        ),
        (
            "danger or abuse now",
            r"\bif i (?:try to |ever )?leave\b.{0,10}\b(?:he|she|they)(?:ll| will| would| said)\b"
            r".{0,30}\b(?:make sure|kill|hurt|find|stop me|never let)",
        ),
        (
            "future absence",
            r"\b(?:dont|do not|not) (?:plan|planning|expect|expecting|intend|intending) (?:on|to) "
            r"(?:be|being) (?:around|here|alive)\b",
        ),
        (
            "burden or better off without me",
            r"\b(?:if i (?:\w+ ){0,3}(?:wasnt|werent|was not|were not|didnt exist|died|was gone|"
            r"were gone|disappeared|left for good|never woke up|stopped existing)|without me|"
            r"(?:the day|when|once) im (?:not in it|not here|not around|gone))\b"
            r".{0,60}\b(?:better|fine|happier|easier|simpler|lighter|okay|ok|alright|relief|"
            r"relieved|notice|miss me|care|peace)\b"
            r"|\b(?:better|fine|happier|easier|simpler|lighter|okay|alright|relief|relieved)\b"
            r".{0,60}\b(?:if i (?:\w+ ){0,3}(?:wasnt|werent|was not|were not|didnt exist|died|"
            r"was gone|were gone|disappeared|never woke up|stopped existing)|without me|"
            r"(?:the day|when|once) im (?:not in it|not here|not around|gone))\b",
        ),
    )
)

# (label, pattern, weight): an answer whose weights add up to 2 is a crisis, to 1 a check-in.
_WEIGHTED: tuple[tuple[str, re.Pattern[str], float], ...] = tuple(
    (label, re.compile(pattern), weight)
    for label, pattern, weight in (
        (
            "hopelessness",
            r"\b(?:cant|cannot|can not) (?:keep (?:doing this|going|going on|this up)|go on|do "
            r"this any ?more|take (?:it|this|much more|any more)|face (?:another|tomorrow|it "
            r"any ?more))\b|\bno point (?:in )?(?:making plans|planning|trying|anything|going on)"
            r"|\bnothing matters any ?more\b|\b(?:done|finished) with (?:everything|it all|life|"
            r"living)\b|^(?:and )?im (?:just )?(?:done|finished)\s*[.!]*$",
            1.0,
        ),
        (
            "finality",
            r"\b(?:this|it) (?:is|will be|s) (?:the|my) last (?:month|week|day|year|christmas|"
            r"birthday|summer|winter|spring|autumn|time)\b(?! (?:at|in|of|with|before) )"
            r"|\bsaid (?:what i (?:needed|had|wanted) to say|everything i (?:needed|wanted) to say|"
            r"my goodbyes?|goodbye) to (?:everyone|everybody|people|them|the people)\b",
            1.0,
        ),
        (
            "giving things away",
            r"\b(?:giv|hand)(?:e|es|ing|en|ed)? (?:out |over |away )?(?:my|all my|most of my|"
            r"away my) "
            # giving one's time or attention to people is generosity, not a goodbye
            r"(?!(?:free |spare )?(?:time|attention|energy|best|heart|love|support|help|word)\b)"
            r"(?:\w+ ){0,4}(?:away|to|out)\b"
            r"|\bgave (?:away )?(?:my|all my|most of my) (?:dog|cat|pets?|guitar|books|records|"
            r"things|stuff|belongings|savings|jewell?ery|tools|plants|car|bike) (?:to|away)\b",
            1.0,
        ),
        (
            "things not needed",
            r"\b(?:wont|will not|shant) (?:need|be needing) (?:them|it|my|any)",
            1.0,
        ),
        ("when I am gone", r"\b(?:when|after|once) im (?:gone|dead|not here|not around)\b", 1.0),
        (
            "a note left",
            r"\b(?:i|ive|im|i have|i am|i had|id) (?:\w+ ){0,2}(?:wrote|written|writing|left|"
            r"leaving)"
            r" (?:\w+ ){0,4}(?:notes?|letters?)"
            r" (?:for|to) (?:my|each|everyone|everybody|the people|them)\b"
            r"(?!.*\b(?:every|each|always|usually|often|regularly|birthday|christmas|thank|"
            r"pen ?pal|"
            r"post|about the|reminder)\b)",
            1.0,
        ),
        ("just in case", r"\bjust in case\b", 0.5),
        (
            "things not needed",
            r"\b(?:wont|will not) need (?:a |my |any )?\w+ (?:after|by|beyond) (?:this|next|"
            r"the end)"
            r"(?!.*\b(?:because|since|as i|when i)\b)"
            r"|\b(?:wont|will not) be (?:part of|in|around for|here for|there for) (?:it|them|that|"
            r"this|any of)\b(?!.*\b(?:because|since|as i)\b)",
            1.0,
        ),
        (
            "a message for after",
            r"\b(?:send|be sent|read|opened|open) (?:them )?(?:at the end|when im gone|"
            r"after im gone|"
            r"afterwards|after i go)\b|\bso (?:nobody|no one|noone) (?:notices|will notice|knows)\b"
            r"|\b(?:saying|said) my goodbyes\b",
            1.0,
        ),
        (
            "burden or better off without me",
            r"\b(?:nobody|no one|noone) would have to (?:worry about|look after|deal with|"
            r"take care "
            r"of) me\b|\bif i (?:just )?(?:went|go|slipped|slip|faded|fade) (?:quietly|away)\b",
            1.0,
        ),
        (
            "already gone",
            r"\b(?:feel|feels|felt) like (?:a ghost|im already gone|im already dead)\b|"
            r"\bwaiting to "
            r"(?:make it official|be gone|fade|disappear for good)\b",
            1.0,
        ),
        (
            "method or plan",
            r"\b(?:looks?|seems?|feels?) like (?:an|the|my|one) (?:option|way out|answer|exit)\b"
            r"|\b(?:exit|way out|option|answer|solution) is (?:permanent|death|dying|to die|"
            r"final)\b"
            r"|\b(?:pills|tablets|meds|rope|blades?|razors?|knives) (?:are |"
            r"is )?(?:all )?(?:lined up|"
            r"laid out|counted out|in front of me|ready)\b"
            r"|\b(?:wouldnt|would not|wont|will not) be an accident\b"
            r"|\bgas (?:on|running)\b.{0,40}\b(?:hoping|on purpose|deliberately)\b"
            r"|\blean\w* (?:out of|over) (?:the |my )?(?:window|balcony|edge|railing|rail|ledge|"
            r"side)"
            r"\b.{0,40}\b(?:on purpose|deliberately|further than i should|too far)"
            r"|\b(?:no|not a|not one) (?:version|future|world|picture|plan) (?:of|where|"
            r"for) .{0,30}"
            r"with me in it\b"
            r"|\b(?:ive|i have|times i|times ive) (?:cut|burned|burnt)\b(?! (?:my|the|a|an|back|"
            r"down|"
            r"off|out|up|ties|corners|costs|class|school|it|them|that|this(?! (?:month|week|year|"
            r"weekend|morning|evening|time))|some|all|our|their|his|"
            r"her|through|in|loose|short)\b)"
            r"|\b(?:said|says|told me) (?:that )?(?:im|i am|i will be|ill be) next\b",
            2.0,
        ),
        (
            "finality",
            r"\bremember me (?:happy|as|when|like)\b|\b(?:im|i am) going (?:before|soon|now)\b"
            r"|\b(?:that|this) was (?:my |our )?goodbye\b|\bi know what (?:for|its for|its really "
            r"for)\b|\b(?:cant|cannot|dont|do not) (?:picture|see|imagine) myself (?:getting|"
            r"growing)"
            r" (?:old|older)\b|\band i dont want to\s*(?:[.!]|$)",
            1.0,
        ),
        (
            "danger or abuse now",
            r"\b(?:beats|hits|hurts|abuses|strangles|chokes) my (?:mum|mom|mother|sister|brother|"
            r"little \w+|kids?|children|dad|father)\b",
            1.0,
        ),
        (
            "hopelessness",
            r"\bwant (?:everything|it all|it|life|the world|the pain|all of it|this) to (?:stop|"
            r"end)\b"
            r"|\b(?:dont|do not|cant|cannot) (?:really )?see (?:a|any) future (?:for me|for myself)"
            r"|\bno future for me\b|\bdont want (?:any )?more of (?:it|this|life)\b"
            r"|\b(?:only|one) (?:thing|reason|person) (?:that )?(?:keeps|keeping) me (?:going|"
            r"here|alive)\b|\bonly reason im (?:still )?(?:here|alive)\b",
            1.0,
        ),
        (
            "getting affairs in order",
            r"\b(?:getting|got|put|putting|sorted|sorting) (?:my )?affairs in order\b"
            r"(?!.*\b(?:tax|deadline|paperwork|accounts|audit|move|trip|wedding|baby)\b)"
            r"|\bsort (?:things|everything|it all) (?:out )?after\b"
            r"|\b(?:passwords|bank details|pin numbers?|spare key)\b.{0,60}\b(?:after|if anything "
            r"happens)\b",
            1.0,
        ),
        (
            "tidying up before",
            r"\bcancell?(?:ed|ing) (?:my |all my )?(?:subscriptions|memberships?|gym|contracts?)\b"
            r"|\btidied (?:everything|it all) up\b|\b(?:calm|peace|relief|relieved|"
            r"at peace) (?:now )?"
            r"(?:that|since) (?:ive|i have|i) (?:decided|made (?:up my mind|a decision|"
            r"my decision))",
            1.0,
        ),
        (
            "if anything happens to me",
            r"\bif (?:anything|something) (?:happens|were to happen|should happen) to me\b",
            1.0,
        ),
        ("meant it", r"\band i meant it\b|\bi mean it\b", 0.5),
        (
            "plan not carried out",
            r"\b(?:didnt|did not|couldnt|could not) go through with it\b|\bstill (?:have|got) the "
            r"(?:pills|rope|gun|blade|razor|note)\b",
            1.0,
        ),
        (
            "nobody would miss me",
            r"\b(?:nobody|no one|noone) would (?:even )?(?:miss me|notice|care)\b",
            1.0,
        ),
        (
            "relief for others",
            r"\b(?:would|will|could) finally (?:get some|have some|be at|find) peace\b",
            1.0,
        ),
        (
            "no fear of dying",
            r"\b(?:death|dying) (?:doesnt|does not|no longer|dont) (?:\w+ )?(?:scare|frighten)s? me"
            r"(?: any ?more)?|\b(?:living|life|being alive) (?:does|scares me|terrifies me)\b",
            1.0,
        ),
        ("borrowed time", r"\bon borrowed time\b", 0.5),
        (
            "hopelessness",
            r"\blife (?:isnt|is not) for me\b|\b(?:im|i am) (?:so )?done (?:trying|fighting|with "
            r"(?:life|living|it all|everything))\b|\bdead inside\b",
            1.0,
        ),
        (
            "hopelessness",
            r"\bnothing (?:is (?:ever )?going to|will ever|will) (?:get|be|feel) (?:any )?better\b"
            r"|\bworn out (?:by|from) (?:existing|living|being alive|life)\b"
            r"|\b(?:tired|sick) of waiting for (?:it|things|life) to (?:get|be) better\b",
            1.0,
        ),
        (
            "bequeathing",
            r"\bwho (?:should|will|would|gets?|is going to) (?:get|have|take) my\b"
            r"(?!.*\b(?:chores?|turn|seat|shift|desk|room)\b)",
            1.0,
        ),
        (
            "danger or abuse now",
            r"\b(?:choked|strangled|hit|beat|punched|kicked|threatened) me\b.{0,60}\b(?:next time|"
            r"wont stop|will kill|gonna kill|going to kill|again)\b",
            2.0,
        ),
        (
            "withholding care",
            r"\b(?:skipping|skipped|stopped taking|not taking|refusing|refused) (?:my )?(?:insulin|"
            r"meds|medication|tablets|dialysis|treatment|chemo\w*|inhaler) (?:\w+ )?(?:on purpose|"
            r"deliberately|so (?:that )?i|because i (?:dont|do not) (?:care|want))",
            2.0,
        ),
        (
            "method not yet found",
            r"\b(?:only|still) here because\b|\b(?:havent|have not|not yet) (?:worked|figured) out "
            r"how\b|\bnot going to fight (?:it|this|any ?more)\b|\btake care of it myself\b",
            1.0,
        ),
        (
            "finality",
            r"\b(?:like|as if) (?:its|it is|it was) the last time\b|\bbecause it might be\b"
            r"|\b(?:have|got|picked|set|chosen) (?:a |the )?date (?:picked out|set|chosen)\b"
            r"(?!.*\b(?:wedding|party|trip|holiday|move|launch|exam|interview|surgery|appointment|"
            r"for the|for our|for my)\b)",
            1.0,
        ),
        (
            "finality",
            r"\bmy own (?:eulogy|obituary|funeral|suicide note)\b|\b(?:until|till) i (?:can|get to|"
            r"am allowed to) (?:stop|go|rest|leave)\s*(?:[.!?]|$)|\b(?:chickened|bottled) (?:out|"
            r"it)"
            r"\b|\beverything (?:feels|seems|is) (?:so )?(?:pointless|meaningless|hopeless)\b",
            1.0,
        ),
        (
            "afraid to go home",
            r"\b(?:scared|afraid|terrified) (?:to go|of going) (?:back )?home\b",
            1.0,
        ),
        ("something stupid", r"\b(?:do|doing) something (?:stupid|drastic|permanent)\b", 1.0),
    )
)
_HURT_ONESELF = re.compile(
    r"\b(?:hurt|hurting|harm\w*|hit|hitting|punch\w*) (?:\w+ ){0,2}" + _BODY + r"\b"
)
_GIFT_REASON = re.compile(
    r"\b(?:because (?:he|she|they|it)|(?:he|she|they) (?:needs?|wanted|loves?|plays?|is learning|"
    r"was learning)|birthday|christmas|outgrown|upgrad\w*|new one|serious about|passed (?:his|her|"
    r"their) test|moving|declutter\w*|charity|too small|no room|wedding|graduat\w*)\b"
)
_PERMANENCE_CONTEXT = re.compile(
    r"\b(?:will|inheritance|pension|insurance|retire\w*|old age|grandchildren|someday|one day|"
    r"eventually|decades|estate|funeral plan|organ don\w*)\b"
)


# A wide net for wording no rule above foresaw: a first-person sentence that touches death,
# a method or an exit is worth a gentle check-in (weight 1), unless it is an idiom, someone
# else's death, a job, or a philosophical remark.
_RISK_WORDS = re.compile(
    r"\b(?:dead|death|die|dying|funeral|suicid\w*|overdos\w*|lethal|noose|rope|paracetamol|"
    r"(?:counting|count|stockpil\w*|stash\w*|saving) (?:the |my |all the )?(?:pills|tablets|meds)|"
    r"blades?|razors?|bleed\w*|wrists?|cutting (?:deeper|again|more)|end it(?! with| off| between|"
    r" on)|end my (?:own )?(?:life|suffering|pain)|end myself|not exist|"
    r"stop existing|already gone|(?:doesnt|dont|does not) need me|whoever finds me|before i go|"
    r"stick around|want out|(?:made|make) my decision|right moment|everything i need to|"
    r"crash the car|drive off|look like an accident|keep (?:my body|myself) going|"
    r"(?:river|bridge|platform|tube|tracks|cliff|ledge|roof|balcony|train)\b.{0,60}\b(?:how "
    r"(?:fast|cold|quick|far|high|easy)|would be|think about|thought about|imagine)|"
    r"(?:problem|burden|nuisance) for (?:anyone|everyone|anybody) (?:much )?longer|"
    r"the spot|where id do it|pretending (?:i|to) want to (?:be alive|live))\b"
)
_FIRST_PERSON = re.compile(r"\b(?:i|im|ive|id|ill|me|my|myself)\b")
_NOT_MY_RISK = re.compile(
    r"\b(?:(?:my|our|his|her|their|the|a) (?:\w+ ){1,2}(?:died|dies|passed away|passed on|was "
    r"put down|was put to sleep)\b|kill(?:ing|s)? (?:it|time)|(?:knees?|back|feet|legs|head|"
    r"commute|job|work|this) "
    r"(?:is |are )?killing me|dying (?:to|for|of (?:laughter|embarrassment|curiosity|boredom))|"
    r"the death of me|"
    r"(?:died|die|dying) laughing|dead (?:keen|set|tired|serious|right|easy|end|on)|"
    r"die (?:happy|peacefully|old|for|of|laughing|without|before|knowing|having|a hero)|"
    r"rather die than|hate to die|(?:not|never) (?:been )?(?:afraid|scared) of (?:death|dying)|"
    r"in no hurry|first aid|harm reduction|(?:someone|somebody|people|anyone|they|he|she) "
    r"(?:\w+ )?(?:overdos\w*|dies|died)|in a world (?:without|where)|"
    r"to die for|kill for|drop dead|(?:phone|battery|laptop|car|plants?|flowers?) "
    r"(?:\w+ )?(?:died|dies|dying|is dying|are dying)|"
    r"(?:my|his|her|their|our) (?:\w+ ){0,2}(?:dad|father|mum|mom|mother|grand\w+|brother|"
    r"sister|friend|uncle|aunt|son|daughter|wife|husband|partner|cousin|colleague|dog|cat|"
    r"neighbou?r|teacher|patient|client)s? (?:\w+ ){0,5}(?:died|death|passed|suicide|funeral|"
    r"suicidal|was dying|overdosed)|(?:his|her|their) funeral|eulogy for|"
    r"(?:nurse|paramedic|firefighter|counsell?or|doctor|"
    r"volunteer|hospice|chaplain|police officer)|philosoph\w*|appreciate (?:life|every)|"
    r"in (?:the|a) (?:film|movie|book|novel|game|series|show|play)|"
    r"when my time comes|in (?:\w+ )?(?:\d+|forty|fifty|thirty|twenty) years|"
    # a bucket list: "see the northern lights once before I die"
    r"(?:see|visit|travel to|learn|finish|write|climb|walk|knit|read|try|go to|hear|meet)\b"
    r"[^.!?]{0,60}\bbefore i die|"
    # things that must not die out with the speaker; dying spoken of in general
    r"(?:dont|do not|doesnt|does not|wont|will not|never|shouldnt|should not|cant|cannot) "
    r"die (?:with|out)|dying takes)\b"
)


# Co-occurring families of words: a first-person wish or fixation next to an exit or a means
# is worth a check-in, and with a word of permanence it is a crisis. Families, not phrases,
# so that new wordings of the same thought still meet.
_WISH = re.compile(
    r"\b(?:i|im|ive|id|me|my|part of me)\b.{0,40}\b(?:want(?:ed|s)?|wish|hope|long for|welcome|"
    r"would love|d love|ready (?:for|to)|decided|planned|planning)\b"
)
_BROOD = re.compile(
    r"\b(?:i|im|ive|id|me|my|part of me)\b.{0,40}\b(?:picture|picturing|imagine|imagining|"
    r"think(?:ing)? (?:about|of)|thought (?:about|of)|cant stop thinking|keep (?:looking|thinking|"
    r"picturing|imagining|staring)|calms? me|looking down|staring down|found myself|made (?:my )?"
    r"peace|worked out how|picked out|tempted|dream(?:ing)? (?:of|about)|fantasi\w+|staring at|"
    r"looking at)\b"
)
_EXIT = re.compile(
    r"\b(?:not (?:be(?:ing)? )?(?:here|around|alive)|gone|leav(?:e|ing) (?:this|the) world|"
    r"let (?:it all|everything|myself|go)|letting go|go where|nobody can reach me|no one can reach "
    r"me|disappear\w*|vanish\w*|stop(?:ped)? (?:breathing|existing|beating)|heart (?:just )?"
    r"stop(?:ped|s)?|walking in|walk in(?:to)?|step(?:ping)? (?:off|out|in)|"
    r"fall(?:ing)?|jump\w*|out of (?:everything|it all|here for good)|the pain to (?:end|stop)|"
    r"stop (?:feeling|hurting|existing)|ways? out|"
    r"(?:my|the) last (?:time|day|night|breath|goodbye))\b(?! (?:asleep|for (?:a|the)|in love|"
    r"behind))"
)
_MEANS = re.compile(
    r"\b(?:reservoir|river|lake|sea|canal|water|bridge|viaduct|cliff|edge|ledge|roof|rooftop|"
    r"balcony|rail|railing|platform|tracks|train|gap|motorway|traffic|car park|tablets|pills|"
    r"insulin|meds|medication|vodka|rope|belt|blade|razor|lighter|knife|gun|car|exhaust|"
    r"heights?|drop)\b"
)
_PERMANENT = re.compile(
    r"\b(?:for good|forever|ever again|permanently|never (?:again|come back|wake)|any ?more|"
    r"no longer|last time|early|whatever it takes|once and for all|end it|for ever|for real|"
    r"on purpose|deliberately|date picked|how yet)\b"
)
_TEMPORARY = re.compile(
    r"\bfor (?:a|the|one|two|three|a few|\w+) (?:week|weekend|day|few days|while|month|bit|"
    r"night|hour|holiday|afternoon|evening|summer|days|weeks|hours)\b"
    r"|\b(?:holiday|vacation|no emails|off grid|retreat|cabin|festival|swim|swimming|diving|"
    r"bungee|paraglid\w*|skydiv\w*|the view|sunset|photos?|wedding|party|commute|bus|work|"
    r"this weekend|all (?:day|sunday|saturday|weekend|morning|afternoon|evening)|into a (?:good )?"
    r"book|under (?:a|the|my) duvet|terrace|garden|bar|rooftop bar|the city|fireworks)\b"
)


BROAD_LABEL = "talk of death or an exit"


def family_weight(sentence: str) -> float:
    """0, 1 or 2: a wish or brooding next to an exit (a wish next to a mere place is a plan for
    the weekend, so a place or a means counts only with brooding); 2 with a word of permanence.
    """
    if _TEMPORARY.search(sentence):
        return 0.0
    brooding = bool(_BROOD.search(sentence))
    near_exit = bool(_EXIT.search(sentence)) and (brooding or bool(_WISH.search(sentence)))
    near_means = brooding and bool(_MEANS.search(sentence))
    if not (near_exit or near_means):
        return 0.0
    return 2.0 if _PERMANENT.search(sentence) else 1.0


def explained_away(sentence: str) -> bool:
    """An idiom, someone else's death, a job, a hypothetical world, or a remark in general."""
    return bool(_NOT_MY_RISK.search(sentence))


def broad_risk(sentence: str) -> bool:
    """The wide net: first person, a risk word, and nothing that explains it away."""
    return (
        bool(_RISK_WORDS.search(sentence))
        and bool(_FIRST_PERSON.search(sentence))
        and not _NOT_MY_RISK.search(sentence)
    )


def strong_signals(sentence: str) -> list[str]:
    """Labels of the strong signals in one sentence (an accident explains bodily harm)."""
    found = []
    for label, pattern in _STRONG:
        if pattern.search(sentence):
            if label == "self-harm" and _ACCIDENT.search(sentence):
                continue
            found.append(label)
    return found


def weighted_signals(sentence: str) -> list[tuple[str, float]]:
    """(label, weight) of the weaker signs in one sentence."""
    found = []
    if broad_risk(sentence):
        found.append((BROAD_LABEL, 1.0))
    if weight := family_weight(sentence):
        found.append(("a wish or fixation on an exit or a means", weight))
    if _HURT_ONESELF.search(sentence) and not _ACCIDENT.search(sentence):
        found.append(("self-harm", 1.0))  # "I hurt myself" alone may be an accident: ask
    for label, pattern, weight in _WEIGHTED:
        if pattern.search(sentence):
            if label == "when I am gone" and _PERMANENCE_CONTEXT.search(sentence):
                continue
            if label == "giving things away" and _GIFT_REASON.search(sentence):
                continue
            found.append((label, weight))
    return found
