"""Character folding for matching, never for output.

Plans arrive in simplified and traditional characters, with full-width digits and
punctuation. Every pattern in the importer is written once, in simplified
characters and ASCII punctuation, and run against `fold(text)`. The folding maps
one character to one character, so a match span in the folded text is the same
span in the original: what the user wrote is what the result quotes.
"""

from __future__ import annotations

import re
import unicodedata

# Traditional -> simplified, limited to characters that occur in the words the
# importer looks for (labels, preamble headings, clutter, units, deadline phrases,
# comparators). A full converter is not needed: only matching goes through this.
_T2S_PAIRS = (
    "時时責责標标導导則则總总體体務务門门單单牽牵頭头負负載载檔档預预覽览編编參参"
    "範范與与這这個个戶户項项場场組组隊队條条間间張张臺台萬万億亿於于週周兩两報报"
    "舉举開开織织動动劃划計计畫画節节樹树國国慶庆為为達达數数額额過过論论學学習习"
    "會会議议內内僅仅費费請请聯联審审實实現现傳传觀观圍围質质職职業业後后幫帮區区"
    "縣县鄉乡層层據据進进處处從从黨党員员還还將将對对應应級级積积極极經经濟济術术"
    "創创優优爭争選选評评價价紀纪專专題题講讲賽赛練练護护權权維维療疗養养險险課课"
    "讀读書书寫写閱阅網网絡络設设歡欢點点統统驗验線线衛卫醫医讓让見见規规齊齐認认"
    "識识記记錄录歷历屆届團团結结勞劳競竞興兴雙双獲获準准績绩辦办綜综遠远適适邊边"
    "擬拟無无獎奖產产監监確确禮礼穩稳簡简類类糧粮紅红約约終终給给綱纲緊紧罰罚聞闻"
    "補补裝装視视覺觉親亲訂订討讨訓训許许證证試试詩诗話话說说調调諮咨謝谢變变財财"
    "貧贫購购貫贯資资車车輕轻輔辅農农運运違违釋释鍛锻長长關关陣阵際际隊队階阶隨随"
    "難难電电順顺須须領领頻频願愿風风飲饮餘余髮发鬥斗麼么齡龄態态擴扩斷断啟启愛爱"
    "聽听蓋盖溫温暖暖慰慰問问訪访談谈輪轮換换屆届聯联誼谊揮挥務务億亿衆众眾众雜杂"
    "歲岁彙汇匯汇據据續续屬属陳陈設设機机構构員员義义務务雲云團团衝冲決决況况準准"
    "涼凉減减濟济淨净滿满漲涨潔洁澤泽濃浓灣湾災灾熱热爾尔牆墙狀状獨独猶犹環环瑣琐"
    "畢毕異异盡尽盤盘碼码礎础禍祸秘秘稱称穀谷窮穷筆笔築筑籌筹紙纸級级紛纷細细紹绍"
    "經经絕绝繳缴繼继續续纖纤缺缺罷罢聖圣聲声腦脑臉脸舊旧艱艰藝艺蘭兰虛虚號号衆众"
    "術术襯衬覆覆該该詳详誌志誠诚誤误誰谁課课諸诸謀谋謂谓證证讚赞豐丰豬猪貝贝負负"
    "貨货販贩貼贴費费賀贺賓宾賞赏賢贤賴赖贈赠趕赶跡迹躍跃軌轨載载輯辑輸输辦办遞递"
    "遺遗鄰邻釋释針针錢钱鋪铺錯错鍵键鐘钟門门閉闭閒闲陰阴陸陆隱隐雞鸡離离雖虽靈灵"
    "響响頁页項项順顺預预頒颁頓顿頗颇頻频顧顾飛飞飯饭館馆驗验騎骑體体鬧闹鮮鲜麗丽"
    "黃黄齒齿龍龙龜龟臺台檯台颱台週周於于並并佈布佔占併并倉仓係系倫伦偉伟側侧備备"
    "傳传傷伤傾倾價价儀仪億亿優优兒儿內内兩两冊册凈净凍冻劃划劉刘劍剑勁劲務务勝胜"
    "勢势勵励勸劝匯汇協协廠厂厲厉參参叢丛嘗尝嚴严園园圖图圓圆執执堅坚報报場场塊块"
    "壓压壞坏壯壮壽寿夠够夢梦奪夺奮奋嬰婴孫孙寧宁審审寶宝將将專专尋寻導导屆届屬属"
    "島岛嶺岭幣币幹干廣广廳厅彈弹徑径從从徵征恆恒悅悦惡恶惱恼愛爱慘惨慣惯憑凭懂懂"
    "懷怀戀恋戰战戲戏拋抛挾挟捨舍掃扫掛挂採采揚扬換换損损搶抢擁拥擇择擊击擔担據据"
    "擺摆擾扰攝摄敗败敘叙敵敌數数斂敛晝昼暫暂曆历曉晓東东條条來来楊杨極极榮荣構构"
    "槍枪樂乐樣样橋桥機机檢检權权歐欧歸归殘残氣气漢汉為为烏乌煙烟熱热燈灯爐炉牘牍"
    "獎奖獻献現现瑪玛產产畝亩畫画疊叠癥症發发盜盗眾众碩硕確确礙碍禦御種种稅税穩稳"
    "競竞筆笔範范簽签糾纠紀纪約约級级紡纺純纯組组細细終终絡络給给統统絲丝綠绿維维"
    "網网緒绪線线締缔練练縮缩績绩織织繁繁罷罢義义習习聯联聰聪肅肃脅胁腳脚興兴舉举"
    "艦舰莊庄薦荐藥药蟲虫補补製制複复規规視视親亲觀观觸触訊讯訴诉診诊評评詞词詢询"
    "誌志語语課课談谈請请諾诺謀谋講讲譯译護护讓让貢贡責责貸贷費费資资賬账贏赢趨趋"
    "輛辆輝辉農农邊边遷迁郵邮鄉乡醜丑針针鋼钢錦锦鎮镇鐵铁鑒鉴閃闪闊阔隊队陽阳雜杂"
    "雲云頂顶頭头額额類类顯显飾饰馬马驅驱驚惊髒脏鬆松魯鲁鳳凤鹽盐點点齊齐"
)
_T2S = {
    ord(_T2S_PAIRS[i]): _T2S_PAIRS[i + 1]
    for i in range(0, len(_T2S_PAIRS), 2)
    if _T2S_PAIRS[i] != _T2S_PAIRS[i + 1]
}

# Full-width forms -> ASCII, one character each so spans stay aligned.
_WIDTH = {0xFF01 + i: chr(0x21 + i) for i in range(0x5E)}  # ！..～
_WIDTH.update(
    {
        0x3000: " ",  # ideographic space
        0x2014: "-",  # em dash, as in 3—4次
        0x2013: "-",
        0x2015: "-",
        0xFE55: ":",
        0x2236: ":",  # ratio sign used as a colon
    }
)

_FOLD = {**_T2S, **_WIDTH}


def fold(text: str) -> str:
    """Simplified characters and ASCII punctuation, same length as `text`."""
    return text.translate(_FOLD)


def canonical(text: str) -> str:
    """A stable form of `text` for fingerprints: NFKC, folded, whitespace collapsed."""
    return re.sub(r"\s+", " ", fold(unicodedata.normalize("NFKC", text))).strip()


_EDGE_PUNCT = " \t\u3000。.,，;；:：、!！?？"


def strip_punct(text: str) -> str:
    """Trim whitespace and sentence punctuation from both ends."""
    return text.strip(_EDGE_PUNCT)
